"""The demo's batches among real ones: how much of what is shown is demo, and taking the demo out.

A demo batch is one the demo generator loaded (`batches.source = 'demo'`, `"demo": true` in `batches --json`).
Removing the demo removes every demo batch, whatever was loaded after it, in one transaction, and leaves the
real rows exactly as they are. What that means, row by row (every dataset keeps all versions of its rows):

- a row only demo batches wrote goes, with every version of it;
- a row a real batch wrote stays exactly as it is now, byte for byte, including a real row that replaced a demo
  row (a real targets file for a KPI and date the demo also had, say) and any value it took over from that demo
  row because its file lacked the column;
- a real row that a demo batch replaced (the demo loaded after it, on the same key) comes back as it was,
  unless a later real batch replaced it in turn: then that later real row stays the current one.

And undo history: each real row version keeps the batch that wrote it, and a real version that a demo version
had replaced now names the next real version of its row (or none), so undoing a real batch afterwards restores
the state before it, without the demo: undoing a batch that had updated a demo row removes that row. Demo
batches stay in the ledger with status "removed" (who and when in undone_by / undone_at) and cannot be undone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from isokpi import format as fmt
from isokpi import rollups
from isokpi.audit import record_event
from isokpi.auth import QUALITY_LEAD, User, cli_user, require
from isokpi.datasets import DATASETS, Dataset
from isokpi.db import Database, next_id, now_utc, quote

DEMO_SOURCE = "demo"  # batches.source of what isokpi.demo.load_demo loads
_LOADED_DEMO = f"SELECT batch_id FROM batches WHERE source = '{DEMO_SOURCE}' AND status = 'loaded'"


@dataclass(frozen=True)
class DemoShare:
    """How much of what is loaded now comes from demo batches: current rows per dataset, (demo, all)."""

    batches: int
    rows: dict[str, tuple[int, int]]
    real_batches: int

    @property
    def remains(self) -> bool:
        """True while any demo batch is loaded (the banner shows, removal is offered)."""
        return self.batches > 0

    @property
    def demo_rows(self) -> int:
        return sum(demo for demo, _ in self.rows.values())

    @property
    def total_rows(self) -> int:
        return sum(total for _, total in self.rows.values())

    @property
    def real_rows(self) -> int:
        return self.total_rows - self.demo_rows

    @property
    def offers_removal(self) -> bool:
        """True once real data is loaded beside the demo: the first real upload offers to remove the demo."""
        return self.remains and self.real_batches > 0


def demo_share(database: Database) -> DemoShare:
    """Demo and real batches loaded, and per dataset the current rows that demo batches wrote, of all. Rows are
    counted only while a demo batch is loaded: without one there is nothing to say, and no table to scan."""
    batches, real = database.query(
        f"SELECT count(*) FILTER (WHERE source = '{DEMO_SOURCE}'), count(*) FILTER (WHERE source <> '{DEMO_SOURCE}') "
        "FROM batches WHERE status = 'loaded'"
    )[0]
    rows: dict[str, tuple[int, int]] = {}
    if not batches:
        return DemoShare(0, rows, int(real))
    for dataset in DATASETS.values():
        demo, total = database.query(
            f"SELECT count(*) FILTER (WHERE _batch_id IN ({_LOADED_DEMO})), count(*) "
            f"FROM {quote(dataset.versions_table)} WHERE _superseded_by IS NULL"
        )[0]
        rows[dataset.name] = (int(demo), int(total))
    return DemoShare(int(batches), rows, int(real))


@dataclass(frozen=True)
class DemoRemoval:
    """What removing the demo did, in the shape of `python -m isokpi demo --remove --json`."""

    batches: list[int] = field(default_factory=list)
    # per dataset: row versions the demo batches wrote, deleted; real rows a demo row had replaced, current again;
    # real rows that had replaced a demo row, kept as they are
    removed: dict[str, int] = field(default_factory=dict)
    restored: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"batches": self.batches, "removed": self.removed, "restored": self.restored, "kept": self.kept}


def remove_demo(database: Database, *, actor: User | None = None) -> DemoRemoval:
    """Remove every demo batch in one transaction (quality leads; None: whoever runs the command line), leaving
    real rows as the module docstring says; recorded in the audit trail. Nothing to remove: nothing is written."""
    actor = actor or cli_user()
    require(actor, QUALITY_LEAD)
    if not demo_share(database).remains:
        return DemoRemoval()

    def work(cursor: duckdb.DuckDBPyConnection) -> DemoRemoval:
        change = next_id(cursor, "batch")  # conflicts with a concurrent load or undo, and changes the data version
        demo = [int(row[0]) for row in cursor.execute(f"{_LOADED_DEMO} ORDER BY batch_id").fetchall()]
        outcome = DemoRemoval(demo)
        touched = []
        for dataset in DATASETS.values():
            touched.append(_demo_touched(cursor, dataset, demo))  # before the demo versions go
            _remove_from(cursor, dataset.versions_table, dataset.stored_key, demo, outcome, dataset.name)
        at = now_utc()
        cursor.execute(
            "UPDATE batches SET status = 'removed', undone_by = $user, undone_at = $at "
            "WHERE list_contains(CAST($demo AS BIGINT[]), batch_id)",
            {"user": actor.email, "at": at, "demo": demo},
        )
        record_event(cursor, actor.email, "remove_demo", "demo data", outcome.as_dict(), at)
        for each in touched:
            rollups.refresh(cursor, each, change)
        return outcome

    return database.write(work)


def _demo_touched(cursor: duckdb.DuckDBPyConnection, dataset: Dataset, demo: list[int]) -> rollups.Touched:
    """Before the removal: the current demo versions go; a real version a demo version replaced is current again
    when no later real version of its row exists (as _remove_from relinks it)."""
    is_demo = "list_contains(CAST($demo AS BIGINT[]), {})"
    table, key = quote(dataset.versions_table), quote(dataset.stored_key)
    later_real = (
        f"EXISTS (SELECT 1 FROM {table} n WHERE n.{key} = v.{key} AND n._batch_id > v._batch_id "
        f"AND NOT {is_demo.format('n._batch_id')})"
    )
    return rollups.touch(
        cursor,
        dataset.name,
        plus=f"{is_demo.format('v._superseded_by')} AND NOT {is_demo.format('v._batch_id')} AND NOT {later_real}",
        minus=f"{is_demo.format('v._batch_id')} AND v._superseded_by IS NULL",
        params={"demo": demo},
    )


def _remove_from(
    cursor: duckdb.DuckDBPyConnection,
    versions_table: str,
    stored_key: str,
    demo: list[int],
    outcome: DemoRemoval,
    name: str,
) -> None:
    table, key = quote(versions_table), quote(stored_key)
    params = {"demo": demo}
    is_demo = "list_contains(CAST($demo AS BIGINT[]), {})"
    kept = cursor.execute(
        f"SELECT count(*) FROM {table} WHERE {is_demo.format('_batch_id')} AND _superseded_by IS NOT NULL "
        f"AND NOT {is_demo.format('_superseded_by')}",
        params,
    ).fetchone()[0]
    # A real version a demo version replaced now names the next real version of its row, or none (current again).
    cursor.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE relinked AS
        SELECT v.{key} AS k, v._batch_id AS b,
               (SELECT min(n._batch_id) FROM {table} n
                WHERE n.{key} = v.{key} AND n._batch_id > v._batch_id AND NOT {is_demo.format("n._batch_id")}) AS next
        FROM {table} v
        WHERE {is_demo.format("v._superseded_by")} AND NOT {is_demo.format("v._batch_id")}
        """,
        params,
    )
    restored = cursor.execute("SELECT count(*) FILTER (WHERE next IS NULL) FROM relinked").fetchone()[0]
    cursor.execute(
        f"UPDATE {table} SET _superseded_by = r.next FROM relinked r "
        f"WHERE {table}.{key} = r.k AND {table}._batch_id = r.b AND {is_demo.format(f'{table}._superseded_by')}",
        params,
    )
    cursor.execute("DROP TABLE relinked")
    removed = cursor.execute(f"DELETE FROM {table} WHERE {is_demo.format('_batch_id')}", params).fetchone()[0]
    outcome.removed[name], outcome.restored[name], outcome.kept[name] = int(removed), int(restored), int(kept)


def share_sentence(share: DemoShare, where: str = "Data page") -> str:
    """The demo banner's words: how much of what is shown is demo data, and where it goes away (`where`: the
    page with Remove the demo data, or "below" on that page)."""
    if share.demo_rows == 0:
        return (
            "Demo batches are still in the ledger, though none of their rows is shown any more: a quality lead "
            f"removes them with Remove the demo data ({where})."
        )
    if share.real_rows == 0:
        parts = "; ".join(f"{name} {fmt.count(demo)}" for name, (demo, _) in share.rows.items() if demo)
        return (
            f"You are looking at demo data: a 3-site manufacturer over 36 months ({fmt.count(share.demo_rows)} rows: "
            f"{parts}), generated because the database was empty. Load your own exports on the Upload page; a "
            f"quality lead removes the demo with Remove the demo data ({where})."
        )
    parts = "; ".join(
        f"{name} {fmt.count(demo)} of {fmt.count(total)}" for name, (demo, total) in share.rows.items() if demo
    )
    shown = fmt.value(100 * share.demo_rows / share.total_rows, "%")
    if shown == fmt.value(100, "%"):  # never "100%" while a row of yours is loaded
        shown = "over " + fmt.value(99.9, "%")
    return (
        f"Demo data is mixed in with yours: {shown} of the rows shown ({fmt.count(share.demo_rows)} of "
        f"{fmt.count(share.total_rows)}: {parts}) come from the demo generator. A quality lead removes it with "
        f"Remove the demo data ({where}); your own rows stay exactly as they are."
    )


def removal_sentence(outcome: DemoRemoval) -> str:
    """What removing the demo did, in words."""
    if not outcome.batches:
        return "No demo data is loaded: nothing was removed."
    return (
        f"Removed the demo data (batches {', '.join(map(str, outcome.batches))}): "
        f"{fmt.count(sum(outcome.removed.values()))} demo row versions deleted. Back: "
        f"{fmt.count(sum(outcome.restored.values()))} of your rows the demo had replaced. Kept as they are: "
        f"{fmt.count(sum(outcome.kept.values()))} of your rows that had replaced demo rows."
    )
