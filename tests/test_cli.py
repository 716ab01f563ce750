"""The command line as a user meets it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sample_helpers import sample_spec_text, write_spec

from auditlens.cli import main


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditlens.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from auditlens.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['--help'])\n"
        "    except SystemExit: pass\n"
        "heavy = [m for m in ('shap','optuna','weasyprint','sklearn','pandas','matplotlib','jinja2') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_help_of_each_command() -> None:
    for args in (["--help"], ["run", "--help"], ["analyze", "--help"], ["render", "--help"], ["verify", "--help"], ["sign", "--help"]):
        result = _cli(*args)
        assert result.returncode == 0
        assert "usage: auditlens" in result.stdout
    assert "--out DIR" in _cli("run", "--help").stdout
    assert "--format FORMATS" in _cli("render", "--help").stdout
    assert "--templates DIR" in _cli("render", "--help").stdout
    assert "--input FILE" in _cli("verify", "--help").stdout
    assert "--passphrase-env VAR" in _cli("sign", "--help").stdout
    assert "--allow-pickle" in _cli("analyze", "--help").stdout


def test_bad_spec_exits_2_with_one_line_and_no_output(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, sample_spec_text(target='"creditabilty"'))
    out = tmp_path / "report"
    result = _cli("run", str(spec), "--out", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]] and "Traceback" not in result.stderr
    assert lines[0].startswith(
        "auditlens: error: data.target: column 'creditabilty' not in german_credit.csv; columns are "
    )
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["audit.toml"]  # no staging folder left behind


def test_missing_spec_and_bad_results(tmp_path: Path) -> None:
    assert main(["run", str(tmp_path / "none.toml")]) == 2
    bad = tmp_path / "results.json"
    bad.write_text('{"schema_version": "0.9"}')
    result = _cli("render", str(bad), "--out", str(tmp_path / "r"))
    assert result.returncode == 2
    assert result.stderr.strip() == "auditlens: error: results.json: schema_version must be '1.0' or '1.1' or '1.2'; got '0.9'"
    assert not (tmp_path / "r").exists()
    bad.write_text("{not json")
    result = _cli("render", str(bad))
    assert result.returncode == 2 and result.stderr.startswith("auditlens: error: results.json: not valid JSON")


def test_unknown_format(tmp_path: Path) -> None:
    result = _cli("render", str(tmp_path / "results.json"), "--format", "docx")
    assert result.returncode == 2
    assert result.stderr.strip() == "auditlens: error: --format: expected a comma-separated list of html, pdf; got 'docx'"
