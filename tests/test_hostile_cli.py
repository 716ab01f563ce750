"""Issue 11, the command line under hostile or broken input: real processes, real files, real mounts.

Each test names the item of issue 11 it covers. Runs use the German credit sample with a small
budget and results.json only, so a whole audit takes seconds, not minutes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hostile_helpers import cli, is_root, leftovers, mounted_tmpfs, one_error_line, tiny_spec
from sample_helpers import SAMPLE_DATA, sample_spec_text, with_max_bins, write_spec

from auditlens.paths import SLUG_MAX, slug

HOSTILE_NAME = "../../escaped/" + "\u202e" + "x" * 300


@pytest.fixture(scope="module")
def escaping_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`run` without --out, the model name a 300-character path out of out/ with a bidi override,
    into a folder that already holds a report.pdf and report.html from an earlier run."""
    root = tmp_path_factory.mktemp("escape")
    work = root / "a" / "b"
    spec = tiny_spec(work, model_name=json.dumps(HOSTILE_NAME, ensure_ascii=False))
    stale = work / "out" / slug(HOSTILE_NAME)
    stale.mkdir(parents=True)
    (stale / "report.pdf").write_bytes(b"%PDF-1.7 an earlier run's report\n")
    (stale / "report.html").write_text("<p>an earlier run's report</p>")
    (stale / "notes.txt").write_text("the user's own file")
    return work, cli("run", str(spec), cwd=work)


def test_01_model_name_never_becomes_a_path_outside_out(escaping_run) -> None:  # type: ignore[no-untyped-def]
    work, result = escaping_run
    assert result.returncode == 0, result.stderr[-2000:]
    root = work.parent.parent
    assert not (root / "escaped").exists() and not (work.parent / "escaped").exists()
    assert [p.name for p in (work / "out").iterdir()] == [slug(HOSTILE_NAME)]
    report = json.loads((work / "out" / slug(HOSTILE_NAME) / "results.json").read_text())
    assert report["audit"]["model_name"] == HOSTILE_NAME  # the name itself is kept, as text


def test_15_a_300_character_model_name_gets_a_short_folder(escaping_run) -> None:  # type: ignore[no-untyped-def]
    work, result = escaping_run
    assert result.returncode == 0, result.stderr[-2000:]
    (folder,) = (work / "out").iterdir()
    assert len(folder.name) <= SLUG_MAX and "\u202e" not in folder.name and "/" not in folder.name
    assert not leftovers(work)


def test_15_an_out_name_too_long_fails_first_and_leaves_no_folder(tmp_path: Path) -> None:
    spec = tiny_spec(tmp_path / "spec")
    out = tmp_path / "new" / ("y" * 300)
    line = one_error_line(cli("run", str(spec), "--out", str(out)))
    assert line.startswith("auditlens: error: --out: expected folder names of at most 255 bytes; got one of 300 bytes")
    assert not (tmp_path / "new").exists()


def test_06_the_folder_holds_one_report_after_a_rerun_with_fewer_formats(escaping_run) -> None:  # type: ignore[no-untyped-def]
    work, result = escaping_run
    folder = work / "out" / slug(HOSTILE_NAME)
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "notes.txt", "results.json", "study.db"]
    wrote = [line for line in result.stderr.splitlines() if line.startswith("auditlens: wrote ")]
    assert wrote == [f"auditlens: wrote {Path('out') / slug(HOSTILE_NAME)}/ (manifest.json, results.json, study.db)"]


def test_07_out_that_is_a_file_fails_before_any_work(tmp_path: Path) -> None:
    spec = tiny_spec(tmp_path / "spec")
    target = tmp_path / "report.txt"
    target.write_text("not a folder")
    result = cli("run", str(spec), "--out", str(target))
    line = one_error_line(result)
    assert line == f"auditlens: error: --out: expected a folder (existing or new); got '{target}', which is a file"
    assert "Tuning" not in result.stderr  # refused before the audit started
    assert target.read_text() == "not a folder" and not leftovers(tmp_path)


def test_13_read_only_output_filesystem_fails_first(tmp_path: Path) -> None:
    spec = tiny_spec(tmp_path / "spec")
    with mounted_tmpfs(tmp_path / "ro", "ro,size=1m") as mounted:
        if mounted:
            out, expected = tmp_path / "ro" / "out", "read-only file system"
        elif not is_root():  # no mount: a folder without write permission
            (tmp_path / "ro").chmod(0o555)
            out, expected = tmp_path / "ro" / "out", "permission denied"
        else:  # root without mount: a path under a file
            (tmp_path / "file").write_text("x")
            out, expected = tmp_path / "file" / "out", "on the way is a file"
        result = cli("run", str(spec), "--out", str(out))
        line = one_error_line(result)
        assert line.startswith("auditlens: error: --out: ") and expected in line, line
        assert "Tuning" not in result.stderr


def test_13_disk_full_during_tuning_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    spec = tiny_spec(tmp_path / "spec", trials="200")
    with mounted_tmpfs(tmp_path / "small", "size=136k") as mounted:
        if mounted:
            result = cli("run", str(spec), "--out", str(tmp_path / "small" / "out"))
        else:  # no mount: the same failure from a file-size limit (EFBIG)
            result = cli("run", str(spec), "--out", str(tmp_path / "small" / "out"), limit_fsize=136_000)
        line = one_error_line(result)
        assert line == "auditlens: error: --out: cannot write the Optuna study (study.db): no space left on device"
        assert list((tmp_path / "small").iterdir()) == []


@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_16_sigterm_during_tuning_cleans_up_like_sigint(tmp_path: Path, sig: int, code: int, word: str) -> None:
    spec = tiny_spec(tmp_path / "spec", trials="500")
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "auditlens.cli", "run", str(spec), "--out", str(out)],
        stderr=subprocess.PIPE, text=True,
        # A foreground process, as at a terminal: a shell starts background jobs (CI under `&`)
        # with SIGINT ignored, which the child would inherit and never see Ctrl-C.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 300
    while not list(tmp_path.glob(".out.partial-*/study.db")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(tmp_path.glob(".out.partial-*/study.db")), "tuning never started"
    time.sleep(1.0)  # inside a trial
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr[-2000:]
    assert f"auditlens: {word}; no output was written" in stderr and "Traceback" not in stderr
    assert not out.exists() and not leftovers(tmp_path)


FINALISER_STOP = """
import os, signal, sys
from auditlens import cli, interrupts

class Finalised:
    def __del__(self):  # where the signal lands: Python swallows what a finaliser raises
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10**6):
            pass

with cli._sigterm_as_interrupt():
    try:
        Finalised()
        interrupts.raise_pending()
    except cli.Terminated:
        print("stopped", file=sys.stderr)
"""


def test_16_a_stop_signal_lost_in_a_finaliser_stops_the_run_without_a_traceback() -> None:
    """CI once saw SIGTERM land in SQLAlchemy's gc callback: Python printed "Exception ignored …
    Traceback" before the run stopped as it should."""
    result = subprocess.run([sys.executable, "-c", FINALISER_STOP], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == "stopped\n", result.stderr


SIGNAL_IN_OPTUNAS_TELL = """
import os, signal, sys
import optuna.study._optimize as optimize
from auditlens import cli

tell = optimize._tell_with_warning

def tell_after_a_stop_signal(**kwargs):
    os.kill(os.getpid(), signal.SIGTERM)  # lands here: Optuna's cleanup then raises UnboundLocalError
    return tell(**kwargs)

optimize._tell_with_warning = tell_after_a_stop_signal
sys.exit(cli.main(sys.argv[1:]))
"""


def test_16_a_stop_signal_a_library_turns_into_another_error_is_still_a_stop(tmp_path: Path) -> None:
    """CI once saw SIGTERM land in Optuna's ``_tell_with_warning``: Optuna's ``finally`` then read
    an unset variable and the run ended with "unexpected error: UnboundLocalError", exit 1."""
    spec = tiny_spec(tmp_path / "spec")
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-c", SIGNAL_IN_OPTUNAS_TELL, "run", str(spec), "--out", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 143, result.stderr[-2000:]
    assert "auditlens: terminated; no output was written" in result.stderr
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr
    assert not out.exists() and not leftovers(tmp_path)


def test_10_every_trial_failing_is_one_line_with_the_reason(tmp_path: Path) -> None:
    text = sample_spec_text(trials="4", cv_folds="2", estimator='"logistic_regression"')
    text = text.replace("params = { max_iter = 50 }", 'params = { solver = "newton-cg", l1_ratio = 1.0 }')
    head, rest = text.split("[tuning.space.learning_rate]", 1)
    text = head + '[tuning.space.C]\ntype = "float"\nlow = 0.01\nhigh = 10.0\nlog = true\n\n' + rest[rest.index("[importance]"):]
    result = cli("run", str(write_spec(tmp_path, text)), "--out", str(tmp_path / "out"))
    line = one_error_line(result)
    assert line == ("auditlens: error: tuning: all 4 trials failed; the first failure: ValueError: Solver newton-cg "
                    "supports only 'l2' or None penalties, got l1 penalty.")
    warnings = [x for x in result.stderr.splitlines() if "Trial 0 failed with parameters" in x]
    assert len(warnings) == 1 and "All the 2 fits failed" not in result.stderr  # one line per failed trial


def test_10_too_few_positives_for_the_folds(tmp_path: Path) -> None:
    data = pd.read_csv(SAMPLE_DATA)
    few = pd.concat([data[data.creditability == "good"].head(200), data[data.creditability == "bad"].head(12)])
    few.to_csv(tmp_path / "few.csv", index=False)
    text = sample_spec_text(trials="4", cv_folds="10").replace(str(SAMPLE_DATA.as_posix()), str(tmp_path / "few.csv"))
    line = one_error_line(cli("run", str(write_spec(tmp_path, text)), "--out", str(tmp_path / "out")))
    assert line == ("auditlens: error: tuning.cv_folds: 10 stratified folds need at least 10 training rows of each "
                    "class; got 9 of 'bad' (lower cv_folds, or use more data)")


def test_11_inf_in_a_data_column_names_the_column_and_row(tmp_path: Path) -> None:
    data = pd.read_csv(SAMPLE_DATA)
    data["credit_amount"] = data["credit_amount"].astype(float)
    data.loc[10, "credit_amount"] = -np.inf
    data.to_csv(tmp_path / "inf.csv", index=False)
    text = sample_spec_text(trials="4").replace(str(SAMPLE_DATA.as_posix()), str(tmp_path / "inf.csv"))
    line = one_error_line(cli("run", str(write_spec(tmp_path, text)), "--out", str(tmp_path / "out")))
    assert line == ("auditlens: error: data.path: column 'credit_amount': expected finite numbers (or empty cells "
                    "for missing values); got -inf in row 11 of inf.csv (1 such cell(s))")


def test_21_a_choice_the_estimator_refuses_fails_before_tuning(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, with_max_bins(sample_spec_text(trials="4"), "[15, 100000]"))
    result = cli("run", str(spec), "--out", str(tmp_path / "out"))
    line = one_error_line(result)
    assert line == ("auditlens: error: tuning.space.max_bins: 100000 is refused by HistGradientBoostingClassifier: "
                    "The 'max_bins' parameter of HistGradientBoostingClassifier must be an int in the range [2, 255]. "
                    "Got 100000 instead.")
    assert "Trial" not in result.stderr  # no trial ran


def test_9_data_that_cannot_fit_in_memory_fails_at_once(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    with open(big, "wb") as handle:  # sparse: 64 GiB on paper, nothing on disk
        handle.write(b"a,creditability\n")
        handle.truncate(64 * 1024**3)
    text = sample_spec_text(trials="4").replace(str(SAMPLE_DATA.as_posix()), str(big))
    started = time.monotonic()
    line = one_error_line(cli("run", str(write_spec(tmp_path, text)), "--out", str(tmp_path / "out"), limit_as=3 << 30))
    assert line.startswith("auditlens: error: data.path: big.csv is 64.0 GiB, more than the ")
    assert line.endswith(" of memory available; expected data that fits (sample rows, or drop columns)")
    assert time.monotonic() - started < 60


@pytest.mark.long  # a whole audit of 1,500 columns under a memory limit (30 s)
def test_9_interactions_of_wide_data_are_bounded_by_memory(tmp_path: Path) -> None:
    """1,500 columns: interaction values would need 137 MiB per row; under a 3 GiB address-space
    limit they are skipped with the reason in the report, and the audit completes."""
    import skops.io as sio
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(100, 1500)), columns=[f"f{i}" for i in range(1500)])
    y = np.where(X["f0"] + X["f1"] * X["f2"] > 0, "bad", "good")
    model = HistGradientBoostingClassifier(max_iter=15, random_state=0).fit(X, y)
    sio.dump(model, tmp_path / "wide.skops")
    X.assign(creditability=y).to_csv(tmp_path / "wide.csv", index=False)
    trials = pd.DataFrame({"learning_rate": rng.uniform(0.01, 0.3, 12), "max_iter": rng.integers(5, 50, 12)})
    trials["value"] = 0.7 + 0.2 * trials["learning_rate"]
    trials.to_csv(tmp_path / "trials.csv", index=False)
    spec = write_spec(tmp_path, "\n".join([
        '[audit]', 'title = "Wide"', 'model_name = "wide"', 'model_version = "1"', 'owner = "t"', 'intended_use = "t"',
        '[data]', f'path = "{tmp_path / "wide.csv"}"', 'target = "creditability"',
        '[model]', f'path = "{tmp_path / "wide.skops"}"',
        '[tuning]', f'results = "{tmp_path / "trials.csv"}"',
        '[report]', 'formats = ["json"]',
    ]) + "\n")
    result = cli("run", str(spec), "--out", str(tmp_path / "out"), limit_as=3 << 30)
    assert result.returncode == 0, result.stderr[-2000:]
    effects = json.loads((tmp_path / "out" / "results.json").read_text())["feature_effects"]
    assert effects["interaction_pairs"] == []
    assert effects["interaction_note"].startswith(
        "Not computed: interaction values for 1,500 model inputs need 137.3 MiB per row; 10 rows would take more "
        "than half of the "
    )


def test_9_interaction_rows_are_capped_to_what_fits() -> None:
    from auditlens.explain._budget import interaction_rows

    # 500 inputs: 16 MB per row (2 outputs, 4 working copies); half of 1 GiB holds 33 rows.
    rows, note = interaction_rows(500, 100, available=1 << 30)
    assert rows == (1 << 29) // (500 * 500 * 8 * 4 * 2) == 33
    assert note == ("Capped at 33 of the 100 rows asked for: 100 rows of 500 model inputs would need 1.5 GiB, "
                    "more than half of the 1.0 GiB of memory available.")
    assert interaction_rows(500, 20, available=1 << 30) == (20, "")


def test_boundary_turns_an_unexpected_error_into_one_line_and_debug_shows_it(tmp_path: Path) -> None:
    """Any exception no check foresaw: one line and exit 1 pointing to --debug; --debug shows the traceback.
    The fault is injected (a renderer that breaks), since every known one is now a checked input."""
    (tmp_path / "results.json").write_text("{}")
    code = (
        "import sys, auditlens.results as r\n"
        "def broken(*a, **k): raise ZeroDivisionError('float division by zero')\n"
        "r.AuditResult.load = broken\n"
        "from auditlens.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    plain = subprocess.run([sys.executable, "-c", code, "render", str(tmp_path / "results.json")],
                           capture_output=True, text=True, timeout=120)
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert plain.stderr.strip() == ("auditlens: unexpected error: ZeroDivisionError: float division by zero; "
                                    "run again with --debug for the traceback")
    debug = subprocess.run([sys.executable, "-c", code, "render", str(tmp_path / "results.json"), "--debug"],
                           capture_output=True, text=True, timeout=120)
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1] == "auditlens: unexpected error: ZeroDivisionError: float division by zero"
    assert os.listdir(tmp_path) == ["results.json"]
