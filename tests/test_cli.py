"""The command-line contract: exit codes, JSON shape, and messages instead of tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT

FINDINGS = "finding_id,audit_type,standard,severity,raised_on,status\nF-1,internal,ISO 9001,ofi,2025-01-02,open\n"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "isokpi", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_ingest_json_then_batches_then_undo(tmp_path):
    db = str(tmp_path / "cli.duckdb")
    source = tmp_path / "findings.csv"
    source.write_text(FINDINGS)
    loaded = run("ingest", "findings", str(source), "--db", db, "--json")
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout) == {
        "batch_id": 1,
        "dataset": "findings",
        "file_name": "findings.csv",
        "rows_read": 1,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "duplicate_rows": 0,
        "error_count": 0,
        "errors": [],
        "warnings": [],
    }
    again = json.loads(run("ingest", "findings", str(source), "--db", db, "--json").stdout)
    assert (again["batch_id"], again["unchanged"]) == (None, 1)
    batches = json.loads(run("batches", "--db", db, "--json").stdout)
    assert [(b["batch_id"], b["dataset"], b["inserted"], b["status"]) for b in batches] == [
        (1, "findings", 1, "loaded")
    ]
    undone = run("undo", "1", "--db", db)
    assert undone.returncode == 0 and "batch 1 (findings) undone" in undone.stdout
    assert run("undo", "1", "--db", db).returncode == 2


def test_rejected_input_exits_2_with_the_errors_and_no_traceback(tmp_path):
    db = str(tmp_path / "cli.duckdb")
    bad = tmp_path / "bad.csv"
    bad.write_text(FINDINGS.replace("ofi", "sev-9"))
    result = run("ingest", "findings", str(bad), "--db", db, "--json")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["batch_id"] is None
    assert report["errors"] == [
        {
            "row": 2,
            "column": "severity",
            "value": "sev-9",
            "message": "'sev-9' is not an allowed severity: use one of major_nc, minor_nc, observation, ofi",
        }
    ]
    human = run("ingest", "findings", str(bad), "--db", db)
    # The message quotes the value already: it is said once.
    expected = "  row 2, column severity: 'sev-9' is not an allowed severity: use one of major_nc, minor_nc, observation, ofi\n"
    assert human.returncode == 2 and expected in human.stderr
    for args in (
        ("ingest", "nope", str(bad)),
        ("ingest", "findings", str(tmp_path / "missing.csv")),
        ("ingest", "findings", str(bad), "--date-format", "XYZ"),
        ("frobnicate",),
    ):
        outcome = run(*args, "--db", db) if args[0] != "frobnicate" else run(*args)
        assert outcome.returncode == 2, args
        assert "Traceback" not in outcome.stderr


def test_templates_are_written_and_load_as_they_are(tmp_path):
    out = tmp_path / "templates"
    result = run("templates", str(out))
    assert result.returncode == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "findings.csv", "findings.xlsx", "survey.csv", "survey.xlsx", "targets.csv", "targets.xlsx", "training.csv", "training.xlsx",
    ]  # fmt: skip
    db = str(tmp_path / "t.duckdb")
    for name in ("training", "findings", "survey", "targets"):
        for suffix in (".csv", ".xlsx"):
            loaded = run("ingest", name, str(out / f"{name}{suffix}"), "--db", db, "--json")
            assert loaded.returncode == 0, (name, suffix, loaded.stdout)
            assert json.loads(loaded.stdout)["rows_read"] == 1
