"""The demo kept apart from real data: its share of what is shown, and removing it after real uploads that
updated real rows (and a demo row), leaving every real row and its undo history exactly as they were."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from isokpi.auth import AccessError, User
from isokpi.demo import DemoScale, load_demo, never_held_a_batch
from isokpi.demo_batches import DemoShare, demo_share, removal_sentence, remove_demo, share_sentence
from isokpi.ingest import UndoError, ingest_file, list_batches, undo_batch
from isokpi.opening import open_target

from .conftest import ROOT

pytestmark = pytest.mark.both_backends

LEAD = User("lead@example.com", "Lead", "quality_lead")
VIEWER = User("viewer@example.com", "Viewer", "viewer")

FINDINGS = "finding_id,audit_type,standard,severity,raised_on,closed_on,status\n"
REAL_TARGET = "kpi_id,target,period_start,site,owner\nmedian_days_to_close,30,2024-01-01,,Quality manager\n"
DEMO_FINDINGS = FINDINGS + (
    "DEMO-F-1,internal,ISO 9001,minor_nc,2024-02-01,,open\nDEMO-F-2,internal,ISO 9001,ofi,2024-02-02,,open\n"
)
# The demo's targets: one on a KPI and date only it has, one replacing the real target loaded before it.
DEMO_TARGETS = (
    "kpi_id,target,period_start,site,owner\n"
    "customer_nps,25,2024-01-01,,Demo owner\nmedian_days_to_close,20,2024-01-01,,Demo owner\n"
)
REAL_JANUARY = (
    FINDINGS + "F-1,internal,ISO 9001,minor_nc,2025-01-05,,open\nF-2,internal,ISO 9001,ofi,2025-01-06,,open\n"
)
# The next export: F-1 closed (a real row updated by a real batch), F-3 new, F-2 as it was.
REAL_FEBRUARY = FINDINGS + (
    "F-1,internal,ISO 9001,minor_nc,2025-01-05,2025-02-01,closed\nF-2,internal,ISO 9001,ofi,2025-01-06,,open\n"
    "F-3,external,ISO 9001,major_nc,2025-02-03,,open\n"
)
# A real targets file without an owner column, on the demo's customer_nps target: it replaces that demo row.
REAL_NPS_TARGET = "kpi_id,target,period_start,site\ncustomer_nps,40,2024-01-01,\n"


def load(db, write, name: str, dataset: str, text: str, *, demo: bool = False) -> int:
    result = ingest_file(db, dataset, write(name, text), source="demo" if demo else "cli")
    assert result.ok and result.loaded, result.errors
    return result.batch_id


@pytest.fixture
def mixed(db, write):
    """Real targets, then the demo, then three real uploads: F-1 updated by a real batch, a demo target replaced."""
    batches = [
        load(db, write, "targets-real.csv", "targets", REAL_TARGET),
        load(db, write, "findings-demo.csv", "findings", DEMO_FINDINGS, demo=True),
        load(db, write, "targets-demo.csv", "targets", DEMO_TARGETS, demo=True),
        load(db, write, "findings-jan.csv", "findings", REAL_JANUARY),
        load(db, write, "findings-feb.csv", "findings", REAL_FEBRUARY),
        load(db, write, "targets-nps.csv", "targets", REAL_NPS_TARGET),
    ]
    assert batches == [1, 2, 3, 4, 5, 6]
    return db


def real_current_versions(db, dataset: str) -> list[tuple]:
    """Every current version a real batch wrote, with its batch id: what "exactly as they are" compares."""
    return db.query(
        f"SELECT * EXCLUDE (_superseded_by) FROM {dataset}_versions WHERE _superseded_by IS NULL "
        "AND _batch_id IN (SELECT batch_id FROM batches WHERE source <> 'demo') ORDER BY ALL"
    )


def test_the_share_says_how_much_of_what_is_shown_is_demo(mixed):
    share = demo_share(mixed)
    assert (share.batches, share.real_batches, share.remains, share.offers_removal) == (2, 4, True, True)
    # findings: DEMO-F-1, DEMO-F-2 of 5; targets: the demo's median_days_to_close of 2 (customer_nps is real now)
    assert share.rows == {"training": (0, 0), "findings": (2, 5), "survey": (0, 0), "targets": (1, 2)}
    assert share_sentence(share) == (
        "Demo data is mixed in with yours: 42.9% of the rows shown (3 of 7: findings 2 of 5; targets 1 of 2) come "
        "from the demo generator. A quality lead removes it with Remove the demo data (Data page); your own rows stay "
        "exactly as they are."
    )
    assert [(b["batch_id"], b["demo"]) for b in list_batches(mixed)] == [
        (6, False),
        (5, False),
        (4, False),
        (3, True),
        (2, True),
        (1, False),
    ]


def test_without_a_demo_batch_the_share_counts_no_rows_and_offers_nothing(db, write):
    load(db, write, "findings-jan.csv", "findings", REAL_JANUARY)
    share = demo_share(db)
    assert (share.batches, share.real_batches, share.remains, share.offers_removal) == (0, 1, False, False)
    assert share.rows == {}


def test_removing_the_demo_leaves_every_real_row_exactly_as_it_is(mixed):
    before = {dataset: real_current_versions(mixed, dataset) for dataset in ("findings", "targets")}
    version = mixed.data_version()
    outcome = remove_demo(mixed, actor=LEAD)
    assert outcome.as_dict() == {
        "batches": [2, 3],
        "removed": {"training": 0, "findings": 2, "survey": 0, "targets": 2},
        "restored": {"training": 0, "findings": 0, "survey": 0, "targets": 1},
        "kept": {"training": 0, "findings": 0, "survey": 0, "targets": 1},
    }
    assert mixed.data_version() != version
    # Every current real version, byte for byte and with its batch, is still current.
    for dataset, rows in before.items():
        assert set(rows) <= set(real_current_versions(mixed, dataset)), dataset
    assert mixed.query("SELECT finding_id, status, closed_on FROM findings ORDER BY 1") == [
        ("F-1", "closed", dt.date(2025, 2, 1)),
        ("F-2", "open", None),
        ("F-3", "open", None),
    ]
    # customer_nps: the real row that replaced the demo's stays as it is, with the owner its file did not have
    # (taken over from the demo row when it was loaded); median_days_to_close: the real target the demo had
    # replaced is back.
    assert mixed.query("SELECT kpi_id, target, owner FROM targets ORDER BY 1") == [
        ("customer_nps", 40.0, "Demo owner"),
        ("median_days_to_close", 30.0, "Quality manager"),
    ]
    assert mixed.query("SELECT count(*) FROM findings_versions WHERE starts_with(finding_id, 'DEMO-')") == [(0,)]
    # The undo history: F-1's January version is still replaced by February's; nothing names a demo batch.
    assert mixed.query(
        "SELECT finding_id, _batch_id, _superseded_by FROM findings_versions ORDER BY finding_id, _batch_id"
    ) == [("F-1", 4, 5), ("F-1", 5, None), ("F-2", 4, None), ("F-3", 5, None)]
    assert mixed.query("SELECT kpi_id, _batch_id, _superseded_by FROM targets_versions ORDER BY 1") == [
        ("customer_nps", 6, None),
        ("median_days_to_close", 1, None),
    ]
    assert [(b["batch_id"], b["status"], b["undone_by"]) for b in list_batches(mixed)] == [
        (6, "loaded", None),
        (5, "loaded", None),
        (4, "loaded", None),
        (3, "removed", "lead@example.com"),
        (2, "removed", "lead@example.com"),
        (1, "loaded", None),
    ]
    event = mixed.query_dicts("SELECT actor, action, subject, details FROM audit_log ORDER BY event_id DESC LIMIT 1")[0]
    assert (event["actor"], event["action"], event["subject"]) == ("lead@example.com", "remove_demo", "demo data")
    assert json.loads(event["details"]) == outcome.as_dict()
    assert not demo_share(mixed).remains
    assert removal_sentence(outcome) == (
        "Removed the demo data (batches 2, 3): 4 demo row versions deleted. Back: 1 of your rows the demo had "
        "replaced. Kept as they are: 1 of your rows that had replaced demo rows."
    )


def test_after_removal_undo_restores_the_state_before_a_batch_without_the_demo(mixed):
    remove_demo(mixed, actor=LEAD)
    undo_batch(mixed, 5, actor=LEAD)  # February: F-1 open again, F-3 gone
    assert mixed.query("SELECT finding_id, status FROM findings ORDER BY 1") == [("F-1", "open"), ("F-2", "open")]
    undo_batch(mixed, 6, actor=LEAD)  # the real NPS target had replaced a demo row: without the demo, it goes
    assert mixed.query("SELECT kpi_id, target FROM targets") == [("median_days_to_close", 30.0)]
    with pytest.raises(UndoError, match="batch 2 \\(findings-demo.csv\\) was removed with the demo data"):
        undo_batch(mixed, 2, actor=LEAD)


def test_removal_needs_a_quality_lead_and_a_second_removal_writes_nothing(mixed):
    with pytest.raises(AccessError, match="Quality lead"):
        remove_demo(mixed, actor=VIEWER)
    assert demo_share(mixed).batches == 2
    remove_demo(mixed, actor=LEAD)
    events = mixed.query("SELECT count(*) FROM audit_log")
    version = mixed.data_version()
    assert remove_demo(mixed, actor=LEAD).as_dict() == {"batches": [], "removed": {}, "restored": {}, "kept": {}}
    assert (mixed.query("SELECT count(*) FROM audit_log"), mixed.data_version()) == (events, version)


def test_a_database_emptied_by_removing_the_demo_is_not_filled_again(db, write):
    assert never_held_a_batch(db)
    load(db, write, "findings-demo.csv", "findings", DEMO_FINDINGS, demo=True)
    share = demo_share(db)
    assert (share.remains, share.offers_removal) == (True, False)  # demo only: nothing to offer yet
    remove_demo(db, actor=LEAD)
    assert db.query("SELECT count(*) FROM findings") == [(0,)]
    assert not never_held_a_batch(db)


@pytest.mark.parametrize("backend", ["duckdb"], indirect=True)
def test_the_real_demo_then_a_real_export_shaped_like_its_old_ids_then_removal(db, write):
    """The first real findings export of the issue: F-YYYY-NNNN ids, once the demo's own, now inserted beside it."""
    load_demo(db, scale=DemoScale(0.05, 0.2, 0.05), as_of=dt.date(2025, 11, 30))
    demo_rows = demo_share(db).demo_rows
    export = FINDINGS + "".join(
        f"F-2025-{n:04d},internal,ISO 9001,minor_nc,2025-10-{n:02d},,open\n" for n in range(1, 6)
    )
    result = ingest_file(db, "findings", write("findings-export.csv", export))
    assert (result.inserted, result.updated, result.unchanged) == (5, 0, 0)
    share = demo_share(db)
    assert (share.demo_rows, share.real_rows) == (demo_rows, 5)
    remove_demo(db, actor=LEAD)
    assert db.query("SELECT finding_id FROM findings ORDER BY 1") == [(f"F-2025-{n:04d}",) for n in range(1, 6)]
    assert [db.query(f"SELECT count(*) FROM {name}")[0][0] for name in ("training", "survey", "targets")] == [0, 0, 0]


@pytest.mark.parametrize("backend", ["duckdb"], indirect=True)
def test_the_command_line_removes_the_demo_and_marks_demo_batches(target, write):
    db_path = target.location

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "isokpi", *args, "--db", db_path], cwd=ROOT, capture_output=True, text=True
        )

    database = open_target(target)
    load(database, write, "findings-demo.csv", "findings", DEMO_FINDINGS, demo=True)
    load(database, write, "findings-jan.csv", "findings", REAL_JANUARY)
    database.close()
    batches = json.loads(cli("batches", "--json").stdout)
    assert [(b["batch_id"], b["demo"], b["status"]) for b in batches] == [(2, False, "loaded"), (1, True, "loaded")]
    removed = cli("demo", "--remove", "--json")
    assert removed.returncode == 0, removed.stderr
    assert json.loads(removed.stdout)["batches"] == [1]
    assert json.loads(removed.stdout)["removed"]["findings"] == 2
    again = cli("demo", "--remove")
    assert (again.returncode, again.stdout.strip()) == (0, "No demo data is loaded: nothing was removed.")
    assert cli("demo", "--remove", "--seed", "3").returncode == 2
    batches = json.loads(cli("batches", "--json").stdout)
    assert [(b["batch_id"], b["demo"], b["status"]) for b in batches] == [(2, False, "loaded"), (1, True, "removed")]


def test_the_banner_never_says_100_percent_while_a_real_row_is_loaded():
    share = DemoShare(4, {"training": (25_000, 25_000), "findings": (300, 301), "survey": (0, 0), "targets": (0, 0)}, 1)
    assert share_sentence(share).startswith(
        "Demo data is mixed in with yours: over 99.9% of the rows shown (25,300 of 25,301: training 25,000 of 25,000; "
        "findings 300 of 301) come from the demo generator."
    )
    alone = DemoShare(4, {"training": (10, 10), "findings": (0, 0), "survey": (0, 0), "targets": (2, 2)}, 0)
    assert share_sentence(alone) == (
        "You are looking at demo data: a 3-site manufacturer over 36 months (12 rows: training 10; targets 2), "
        "generated because the database was empty. Load your own exports on the Upload page; a quality lead removes "
        "the demo with Remove the demo data (Data page)."
    )
