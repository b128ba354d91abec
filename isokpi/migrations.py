"""Ordered schema migrations, recorded in `schema_migrations`, each applied in one transaction.

A migration is a function registered with @migration; its SQL is written out in full (not generated from
the current dataset declarations) so that an old database upgrades exactly as a new one was built.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial

import duckdb

from isokpi.db import Database, now_utc

Migration = Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: list[tuple[int, str, Migration]] = []
MIGRATE_ATTEMPTS = 20  # several servers opening a new DuckLake catalog at once take turns


def migration(number: int) -> Callable[[Migration], Migration]:
    def register(function: Migration) -> Migration:
        assert all(existing != number for existing, _, _ in MIGRATIONS), f"migration {number} registered twice"
        MIGRATIONS.append((number, function.__name__, function))
        MIGRATIONS.sort(key=lambda entry: entry[0])
        return function

    return register


# Row history: every dataset keeps all versions of its rows. A version written by batch B has
# _batch_id = B; when batch C replaces it, _superseded_by = C. The view named after the dataset shows the
# current versions, so undoing C deletes C's versions and clears _superseded_by = C. Datasets with a
# composite key also store it joined in one text column, _key, to match rows on.
VERSION_COLUMNS = "_batch_id BIGINT NOT NULL, _superseded_by BIGINT"


@migration(1)
def create_ledger_and_datasets(cursor: duckdb.DuckDBPyConnection) -> None:
    cursor.execute("CREATE TABLE counters (name VARCHAR NOT NULL, value BIGINT NOT NULL)")
    cursor.execute("INSERT INTO counters VALUES ('batch', 0), ('audit', 0)")
    cursor.execute(
        """
        CREATE TABLE batches (
            batch_id BIGINT NOT NULL,
            dataset VARCHAR NOT NULL,
            file_name VARCHAR NOT NULL,
            sha256 VARCHAR,
            rows_read BIGINT NOT NULL,
            inserted BIGINT NOT NULL,
            updated BIGINT NOT NULL,
            unchanged BIGINT NOT NULL,
            loaded_by VARCHAR NOT NULL,
            loaded_at TIMESTAMP NOT NULL,
            source VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            undone_by VARCHAR,
            undone_at TIMESTAMP
        )
        """
    )
    cursor.execute(
        """
        CREATE TABLE audit_log (
            event_id BIGINT NOT NULL,
            occurred_at TIMESTAMP NOT NULL,
            actor VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            subject VARCHAR,
            details VARCHAR
        )
        """
    )
    cursor.execute(
        f"""
        CREATE TABLE training_versions (
            record_id VARCHAR, employee_id VARCHAR, department VARCHAR, site VARCHAR, course VARCHAR,
            category VARCHAR, standard VARCHAR, "hours" DOUBLE, status VARCHAR, due_date DATE,
            completed_on DATE, expires_on DATE, is_mandatory BOOLEAN, effectiveness VARCHAR,
            {VERSION_COLUMNS}
        )
        """
    )
    cursor.execute(
        f"""
        CREATE TABLE findings_versions (
            finding_id VARCHAR, audit_id VARCHAR, audit_type VARCHAR, standard VARCHAR, clause VARCHAR,
            site VARCHAR, department VARCHAR, process VARCHAR, severity VARCHAR, source VARCHAR,
            description VARCHAR, raised_on DATE, due_on DATE, closed_on DATE, status VARCHAR,
            root_cause VARCHAR, owner VARCHAR, repeat_of VARCHAR, effectiveness VARCHAR,
            {VERSION_COLUMNS}
        )
        """
    )
    cursor.execute(
        f"""
        CREATE TABLE survey_versions (
            response_id VARCHAR, survey_id VARCHAR, survey_type VARCHAR, stakeholder VARCHAR,
            responded_on DATE, site VARCHAR, department VARCHAR, question_id VARCHAR, question_text VARCHAR,
            pillar VARCHAR, scale VARCHAR, score DOUBLE, comment VARCHAR, _key VARCHAR NOT NULL,
            {VERSION_COLUMNS}
        )
        """
    )
    cursor.execute(
        f"""
        CREATE TABLE targets_versions (
            kpi_id VARCHAR, target DOUBLE, period_start DATE, period_end DATE, site VARCHAR, owner VARCHAR,
            _key VARCHAR NOT NULL, {VERSION_COLUMNS}
        )
        """
    )
    cursor.execute(
        """
        CREATE VIEW training AS SELECT record_id, employee_id, department, site, course, category, standard,
            "hours", status, due_date, completed_on, expires_on, is_mandatory, effectiveness
        FROM training_versions WHERE _superseded_by IS NULL
        """
    )
    cursor.execute(
        """
        CREATE VIEW findings AS SELECT finding_id, audit_id, audit_type, standard, clause, site, department,
            process, severity, source, description, raised_on, due_on, closed_on, status, root_cause, owner,
            repeat_of, effectiveness
        FROM findings_versions WHERE _superseded_by IS NULL
        """
    )
    cursor.execute(
        """
        CREATE VIEW survey AS SELECT response_id, survey_id, survey_type, stakeholder, responded_on, site,
            department, question_id, question_text, pillar, scale, score, comment
        FROM survey_versions WHERE _superseded_by IS NULL
        """
    )
    cursor.execute(
        """
        CREATE VIEW targets AS SELECT kpi_id, target, period_start, period_end, site, owner
        FROM targets_versions WHERE _superseded_by IS NULL
        """
    )


@migration(2)
def create_notes_mappings_reviews_actions_roles(cursor: duckdb.DuckDBPyConnection) -> None:
    cursor.execute("INSERT INTO counters VALUES ('note', 0), ('mapping', 0), ('review', 0), ('action', 0)")
    # Notes on a KPI's period ("new calibration process from March"), drawn on its chart.
    cursor.execute(
        """
        CREATE TABLE notes (
            note_id BIGINT NOT NULL,
            kpi_id VARCHAR NOT NULL,
            period DATE NOT NULL,
            text VARCHAR NOT NULL,
            created_by VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            deleted_by VARCHAR,
            deleted_at TIMESTAMP
        )
        """
    )
    # Saved column mappings (the TOML of isokpi.mapping), recognised again by their source headers.
    cursor.execute(
        """
        CREATE TABLE mappings (
            mapping_id BIGINT NOT NULL,
            name VARCHAR NOT NULL,
            dataset VARCHAR NOT NULL,
            toml VARCHAR NOT NULL,
            headers VARCHAR[] NOT NULL,
            created_by VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            deleted_at TIMESTAMP
        )
        """
    )
    # ISO 9001 9.3 management reviews. A closed review keeps, in `record`, the JSON of everything it
    # presented, so later uploads never change it; lake_snapshot pins the DuckLake snapshot when there is one.
    cursor.execute(
        """
        CREATE TABLE reviews (
            review_id BIGINT NOT NULL,
            title VARCHAR NOT NULL,
            review_date DATE NOT NULL,
            period_from DATE NOT NULL,
            period_to DATE NOT NULL,
            status VARCHAR NOT NULL,
            inputs VARCHAR NOT NULL,
            record VARCHAR,
            lake_snapshot BIGINT,
            created_by VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            closed_by VARCHAR,
            closed_at TIMESTAMP
        )
        """
    )
    # The 9.3.3 actions register; every change is kept in action_changes (who, when, what).
    cursor.execute(
        """
        CREATE TABLE actions (
            action_id BIGINT NOT NULL,
            review_id BIGINT,
            kind VARCHAR NOT NULL,
            title VARCHAR NOT NULL,
            pillar VARCHAR,
            owner VARCHAR,
            due_on DATE,
            status VARCHAR NOT NULL,
            notes VARCHAR,
            created_by VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            updated_by VARCHAR NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )
        """
    )
    cursor.execute(
        """
        CREATE TABLE action_changes (
            action_id BIGINT NOT NULL,
            changed_by VARCHAR NOT NULL,
            changed_at TIMESTAMP NOT NULL,
            field VARCHAR NOT NULL,
            old_value VARCHAR,
            new_value VARCHAR
        )
        """
    )
    # Roles by e-mail when sign-in is on; the first admin comes from configuration.
    cursor.execute(
        """
        CREATE TABLE user_roles (
            email VARCHAR NOT NULL,
            role VARCHAR NOT NULL,
            granted_by VARCHAR NOT NULL,
            granted_at TIMESTAMP NOT NULL
        )
        """
    )


@migration(3)
def create_user_subjects(cursor: duckdb.DuckDBPyConnection) -> None:
    # The provider account (OpenID Connect issuer + subject) that holds an e-mail address: linked at its first
    # sign-in with the address verified, after which the role given to the address follows that account only.
    cursor.execute(
        """
        CREATE TABLE user_subjects (
            issuer VARCHAR NOT NULL,
            subject VARCHAR NOT NULL,
            email VARCHAR NOT NULL,
            linked_at TIMESTAMP NOT NULL
        )
        """
    )


def applied(cursor: duckdb.DuckDBPyConnection) -> set[int]:
    """Numbers of the migrations recorded in this database (empty for a new one)."""
    exists = cursor.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations' "
        "AND database_name = current_database() AND schema_name = current_schema()"
    ).fetchone()[0]
    if not exists:
        return set()
    return {row[0] for row in cursor.execute("SELECT id FROM schema_migrations").fetchall()}


def _ensure_ledger(cursor: duckdb.DuckDBPyConnection) -> None:
    if not applied(cursor):
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(id INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )


def _apply(cursor: duckdb.DuckDBPyConnection, number: int, name: str, function: Migration) -> bool:
    """Apply one migration with its record, unless another server applied it first; True when applied here."""
    if number in applied(cursor):
        return False
    function(cursor)
    cursor.execute(
        "INSERT INTO schema_migrations VALUES ($id, $name, $at)", {"id": number, "name": name, "at": now_utc()}
    )
    return True


def migrate(database: Database) -> list[int]:
    """Apply the migrations this database lacks, each with its record in one transaction; return their numbers.

    Several servers opening a new DuckLake catalog at once conflict and take turns (Database.write retries).
    """
    with contextlib.closing(database.cursor()) as cursor:
        if {number for number, _, _ in MIGRATIONS} <= applied(cursor):
            return []  # the usual open: one read, no write
    database.write(_ensure_ledger, attempts=MIGRATE_ATTEMPTS)
    return [
        number
        for number, name, function in MIGRATIONS
        if database.write(partial(_apply, number=number, name=name, function=function), attempts=MIGRATE_ATTEMPTS)
    ]


@migration(4)
def add_names_and_raise_dates(cursor: duckdb.DuckDBPyConnection) -> None:
    # Who opened and closed a review and who raised and changed an action, as people read it (the signed-in user's
    # name, the local user's configured name) beside the identifier the audit trail keeps; and the day an action
    # was raised, which its due date may not precede (the review's date for a decision of a review, else the day
    # it was recorded). DuckDB cannot commit an ALTER TABLE after an UPDATE of the same table in one transaction,
    # so every column is added first. Rows from before get the name the app knew then: the identifier itself, and
    # "Local user" for the local user.
    cursor.execute("ALTER TABLE reviews ADD COLUMN created_by_name VARCHAR")
    cursor.execute("ALTER TABLE reviews ADD COLUMN closed_by_name VARCHAR")
    cursor.execute("ALTER TABLE actions ADD COLUMN raised_on DATE")
    cursor.execute("ALTER TABLE actions ADD COLUMN created_by_name VARCHAR")
    cursor.execute("ALTER TABLE actions ADD COLUMN updated_by_name VARCHAR")
    cursor.execute("ALTER TABLE action_changes ADD COLUMN changed_by_name VARCHAR")
    cursor.execute(
        "UPDATE reviews SET created_by_name = CASE created_by WHEN 'local' THEN 'Local user' ELSE created_by END, "
        "closed_by_name = CASE closed_by WHEN 'local' THEN 'Local user' ELSE closed_by END"
    )
    cursor.execute(
        "UPDATE actions SET raised_on = CAST(created_at AS DATE), "
        "created_by_name = CASE created_by WHEN 'local' THEN 'Local user' ELSE created_by END, "
        "updated_by_name = CASE updated_by WHEN 'local' THEN 'Local user' ELSE updated_by END"
    )
    cursor.execute(
        "UPDATE actions SET raised_on = reviews.review_date FROM reviews WHERE reviews.review_id = actions.review_id"
    )
    cursor.execute(
        "UPDATE action_changes SET changed_by_name = CASE changed_by WHEN 'local' THEN 'Local user' ELSE changed_by END"
    )


@migration(5)
def add_rollup_builds(cursor: duckdb.DuckDBPyConnection) -> None:
    # What each roll-up (isokpi.rollups) was built from: its definition's digest, the version of its dataset it
    # reflects and the change that last wrote it. The roll-up tables themselves are made from their definitions
    # when a database is opened (isokpi.rollups.ensure_current), so a release that changes one rebuilds it.
    cursor.execute(
        """
        CREATE TABLE rollup_builds (
            name VARCHAR NOT NULL,
            digest VARCHAR NOT NULL,
            dataset_version VARCHAR NOT NULL,
            change BIGINT NOT NULL,
            built_at TIMESTAMP NOT NULL
        )
        """
    )
