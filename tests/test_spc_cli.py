"""`python -m isokpi spc`: the contract of the issue (flags, JSON keys, exit codes), on small hand-made files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from isokpi import stats
from isokpi.cli import main

from .conftest import ROOT

# 12 months alternating 10 and 12, then 30: mean 162 / 13, 11 moving ranges of 2 and one of 18, mean 40 / 12.
STEADY_THEN_HIGH = [10, 12] * 6 + [30]


def series_csv(write, values, *, name: str = "series.csv", header: str = "period,value") -> str:
    lines = [header] + [f"{2025 + i // 12}-{i % 12 + 1:02d}-01,{'' if v is None else v}" for i, v in enumerate(values)]
    return str(write(name, "\n".join(lines) + "\n"))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["spc", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_contracts_keys_unrounded(write, capsys):
    path = series_csv(write, STEADY_THEN_HIGH)
    code, out, err = run(capsys, path, "--direction", "higher", "--target", "3", "--json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert list(document) == ["mean", "lpl", "upl", "variation", "assurance", "points"]
    mean, mmr = 162 / 13, 40 / 12
    assert document["mean"] == mean and document["upl"] == mean + 2.66 * mmr and document["lpl"] == mean - 2.66 * mmr
    assert (document["variation"], document["assurance"]) == ("improvement", "pass")
    assert document["points"][0] == {
        "period": "2025-01-01",
        "value": 10.0,
        "mean": mean,
        "lpl": mean - 2.66 * mmr,
        "upl": mean + 2.66 * mmr,
        "special_cause": "concern",  # the 30 lifts the mean to 12.46: the twelve before it are a run below it
        "rule": "run_of_7",
    }
    assert document["points"][-1]["special_cause"] == "improvement"
    assert document["points"][-1]["rule"] == "outside_limits"
    assert [p["period"] for p in document["points"]][-2:] == ["2025-12-01", "2026-01-01"]


def test_it_is_the_scorecards_code(write, capsys):
    values = [4.2, 5.1, 3.9, 6.0, 5.5, 4.8, 7.1, 7.3, 7.9, 8.2, 8.8, 9.1, 9.6, None, 6.2, 5.0]
    path = series_csv(write, values)
    code, out, _ = run(capsys, path, "--direction", "lower", "--baseline", "12", "--screen-outliers", "--json")
    expected = stats.spc(values, "lower", baseline=12, screen_outliers=True)
    document = json.loads(out)
    assert code == 0
    assert [p["special_cause"] for p in document["points"]] == [p.special_cause for p in expected.points]
    assert [p["rule"] for p in document["points"]] == [p.rule for p in expected.points]
    assert [p["upl"] for p in document["points"]] == [p.upl for p in expected.points]
    assert document["variation"] == expected.variation and document["assurance"] is None  # no --target


def test_an_empty_value_is_a_gap(write, capsys):
    path = series_csv(write, [10, 12, None, 20, 22])
    code, out, _ = run(capsys, path, "--direction", "higher", "--json")
    document = json.loads(out)
    assert code == 0
    assert document["points"][2] == {
        "period": "2025-03-01",
        "value": None,
        "mean": 16.0,
        "lpl": 16.0 - 2.66 * 2,
        "upl": 16.0 + 2.66 * 2,
        "special_cause": None,
        "rule": None,
    }
    # 4 points set the limits: fewer than 12, so both verdicts are null.
    assert (document["variation"], document["assurance"]) == (None, None)


def test_the_table_is_readable_and_says_why_verdicts_are_withheld(write, capsys):
    code, out, _ = run(capsys, series_csv(write, STEADY_THEN_HIGH), "--direction", "higher")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["period", "value", "mean", "lpl", "upl", "special", "cause", "rule"]
    # 162 / 13 = 12.4615, -/+ 2.66 * 40 / 12 = 8.8667: 3.59487 and 21.3282.
    assert lines[13].split() == ["2026-01-01", "30", "12.4615", "3.59487", "21.3282", "improvement", "outside_limits"]
    assert "variation: improvement; assurance: no target given" in out
    code, out, _ = run(capsys, series_csv(write, [10, 12] * 5 + [30], name="short.csv"), "--direction", "higher")
    assert code == 0
    assert "from 11 point(s)" in out
    assert "variation and assurance: withheld, fewer than 12 points set the limits" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("period,value\n2025-01-01,1\n2025-13-01,2\n", "row 3: period '2025-13-01' is not an ISO date (YYYY-MM-DD)"),
        ("period,value\n2025-01-01,1\n2025-02-01,1,5\n", None),  # an extra field past the header's is ignored
        ("period,value\n2025-01-01,1\n2025-02-01,abc\n", "row 3: value 'abc' is not a number (use . for decimals)"),
        ("period,value\n2025-01-01,1\n2025-02-01,inf\n", "row 3: value 'inf' is not a finite number"),
        (
            "period,value\n2025-02-01,1\n2025-01-01,2\n",
            "row 3: period 2025-01-01 does not come after 2025-02-01 (row 2): one row per period, in order",
        ),
        (
            "period,value\n2025-01-01,1\n2025-01-01,2\n",
            "row 3: period 2025-01-01 does not come after 2025-01-01 (row 2): one row per period, in order",
        ),
        ("period,value\n2025-01-01\n", "row 2: 1 field(s) where the header has 2"),
        ("month,value\n2025-01-01,1\n", "row 1: no column period in the header 'month,value': it must be period,value"),
        ("period,value\n", "no rows under the header"),
        ("", "empty: the first row must be the header period,value"),
    ],
)
def test_bad_input_exits_2_naming_the_row_and_the_value(write, capsys, content, message):
    path = str(write("bad.csv", content))
    code, out, err = run(capsys, path, "--direction", "higher")
    if message is None:
        assert code == 0
        return
    assert code == 2 and out == ""
    assert err == f"isokpi: {path} {message}\n" if message.startswith("row") else err == f"isokpi: {path}: {message}\n"


def test_bad_files_and_flags_exit_2(write, capsys, tmp_path):
    good = series_csv(write, [1, 2, 3])
    assert run(capsys, str(tmp_path / "missing.csv"), "--direction", "higher")[2].endswith(
        "missing.csv: no such file\n"
    )
    assert (
        run(
            capsys,
            str(write("latin.csv", "period,value\n2025-01-01,1\xe9\n".encode("latin-1"))),
            "--direction",
            "higher",
        )[0]
        == 2
    )
    assert run(capsys, good, "--direction", "up")[0] == 2  # argparse: invalid choice
    assert run(capsys, good)[0] == 2  # --direction is required
    assert run(capsys, good, "--direction", "higher", "--target", "x")[0] == 2
    code, _, err = run(capsys, good, "--direction", "higher", "--target", "nan")
    assert (code, err) == (2, "isokpi: --target nan is not a finite number\n")
    code, _, err = run(capsys, good, "--direction", "higher", "--baseline", "0")
    assert (code, err) == (2, "isokpi: --baseline 0 must be 1 or more points (12 or more for verdicts)\n")


def test_the_command_runs_as_a_program_without_a_traceback(write):
    bad = str(write("bad.csv", "period,value\n2025-01-01,1\n2025-02-01,1.2.3\n"))
    result = subprocess.run(
        [sys.executable, "-m", "isokpi", "spc", bad, "--direction", "lower"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == f"isokpi: {bad} row 3: value '1.2.3' is not a number (use . for decimals)\n"
    good = series_csv(write, [3, 4, 5], name="good.csv")
    result = subprocess.run(
        [sys.executable, "-m", "isokpi", "spc", good, "--direction", "lower", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and json.loads(result.stdout)["mean"] == 4.0
