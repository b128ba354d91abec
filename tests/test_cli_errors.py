"""The CLI's errors under --json: a command that stops with a message still prints one JSON object on stdout,
{"error": message}, with the exit code it has without --json."""

from __future__ import annotations

import json
import subprocess
import sys

from .test_cli import FINDINGS, run


def test_a_busy_database_gives_one_json_object_naming_the_process_that_holds_it(tmp_path):
    path = tmp_path / "held.duckdb"
    source = tmp_path / "findings.csv"
    source.write_text(FINDINGS)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        for command in (
            ("batches",),
            ("ingest", "findings", str(source)),
            ("undo", "1"),
            ("scorecard",),
            ("kpi", "customer_nps"),
        ):
            result = run(*command, "--db", str(path), "--json")
            assert result.returncode == 1, (command, result.stderr)
            report = json.loads(result.stdout)  # the whole of stdout: one object
            assert list(report) == ["error"], command
            assert report["error"].startswith(f"The database {path} is in use by process {holder.pid} ")
            assert result.stderr == f"isokpi: {report['error']}\n"  # people read the same message
            without_json = run(*command, "--db", str(path))
            assert (without_json.returncode, without_json.stdout) == (1, ""), command
    finally:
        holder.kill()
        holder.wait()


def test_input_refused_before_a_command_starts_is_one_json_object_with_exit_code_2(tmp_path):
    missing, db = tmp_path / "missing.csv", str(tmp_path / "x.duckdb")
    for command, message in (
        (("ingest", "nope", str(missing), "--db", db), "nope"),
        (("ingest", "findings", str(missing), "--db", db), f"{missing}: no such file"),
        (("spc", str(missing), "--direction", "higher"), str(missing)),
    ):
        result = run(*command, "--json")
        assert result.returncode == 2, (command, result.stderr)
        report = json.loads(result.stdout)
        assert list(report) == ["error"] and message in report["error"], (command, report)
        assert "Traceback" not in result.stderr
