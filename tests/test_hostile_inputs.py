"""Issue 11, hostile files given to `importance`, `analyze` and `render`: each refused in one line.

Items 2 (inf / 1e308 parameters), 8 (zip-bomb .skops), 17 (bad results.json), 18 (damaged study,
text trial numbers), 19 (NaN in --json), 20 (passwords holding '@').
"""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hostile_helpers import cli, one_error_line
from sample_helpers import ROOT

from auditlens.trials.optuna_study import redact_url

SAMPLE = ROOT / "samples" / "sklearn-search"


def _planted_trials(n: int = 80) -> pd.DataFrame:
    """'a' holds nearly all of the objective's variance, 'b' almost none."""
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    return pd.DataFrame({"a": a, "b": b, "value": 10 * a + 0.1 * b})


@pytest.mark.parametrize(("cell", "shown"), [(np.inf, "inf"), (-np.inf, "-inf"), (1e308, "1e+308"), (-1e308, "-1e+308")])
def test_02_a_non_finite_or_absurd_parameter_is_refused_naming_column_and_row(tmp_path: Path, cell: float, shown: str) -> None:
    table = _planted_trials()
    table.loc[5, "a"] = cell  # before the fix: 'a' (99.9% on the clean table, below) read 0.0%, exit 0
    table.to_csv(tmp_path / "bad.csv", index=False)
    line = one_error_line(cli("importance", str(tmp_path / "bad.csv"), "--json"))
    assert line == (f"auditlens: error: a: expected a finite number of magnitude at most 1e+150; got {shown} "
                    "in row 6 of bad.csv (fix the value, or drop the trial)")


def test_02_the_clean_table_gives_the_planted_answer(tmp_path: Path) -> None:
    _planted_trials().to_csv(tmp_path / "clean.csv", index=False)
    clean = json.loads(cli("importance", str(tmp_path / "clean.csv"), "--json", "--pairs", "0").stdout)
    assert clean["main_effects"][0]["param"] == "a" and clean["main_effects"][0]["importance"] > 0.95


def test_02_an_optuna_study_with_an_infinite_parameter_is_refused(tmp_path: Path) -> None:
    import optuna
    from optuna.distributions import FloatDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}", study_name="s")
    for i, x in enumerate([0.1, 0.5, 0.9, float("inf")]):
        study.add_trial(optuna.trial.create_trial(
            params={"x": x}, distributions={"x": FloatDistribution(0.0, float("inf"))}, value=float(i)))
    line = one_error_line(cli("importance", "--storage", f"sqlite:///{tmp_path / 'study.db'}", "--study", "s"))
    assert line.startswith(
        "auditlens: error: x: expected a finite number of magnitude at most 1e+150; got inf in trial 3 of study 's'"
    ), line


def _zip_bomb(path: Path, size: int) -> None:
    """A .skops-looking zip whose one member inflates from ~1/1000 of its size to ``size`` zeros."""
    chunk = bytes(64 * 1024**2)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("schema.json", json.dumps({"__class__": "HistGradientBoostingClassifier",
                                                    "__module__": "sklearn.ensemble", "__loader__": "ObjectNode",
                                                    "content": {"__class__": "dict", "__module__": "builtins",
                                                                "__loader__": "DictNode", "content": {}},
                                                    "protocol": 2, "_skops_version": "0.10"}))
        with archive.open("bomb.npy", "w", force_zip64=True) as member:
            for _ in range(size // len(chunk)):
                member.write(chunk)


def _analyze(model: Path, out: Path) -> list[str]:
    return ["analyze", "--trials", str(SAMPLE / "cv_results.csv"), "--model", str(model),
            "--data", str(SAMPLE / "holdout.csv"), "--target", "creditability", "--out", str(out)]


def test_08_a_zip_bomb_skops_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    bomb = tmp_path / "model.skops"
    _zip_bomb(bomb, 2304 * 1024**2)  # 2.25 GiB of zeros in a few MB
    assert bomb.stat().st_size < 20 * 1024**2
    started = time.monotonic()
    total = sum(m.file_size for m in zipfile.ZipFile(bomb).infolist())
    line = one_error_line(cli(*_analyze(bomb, tmp_path / "out")))
    assert line.startswith(f"auditlens: error: --model: model.skops unpacks to {total:,} bytes; expected at most ")
    assert line.endswith("(the smaller of 2,147,483,648 and half the memory available; a zip bomb?)")
    assert time.monotonic() - started < 120 and not (tmp_path / "out").exists()


def test_08_a_skops_with_too_many_members_is_refused(tmp_path: Path) -> None:
    many = tmp_path / "model.skops"
    with zipfile.ZipFile(many, "w") as archive:
        archive.writestr("schema.json", "{}")
        for i in range(100_000):
            archive.writestr(f"{i}.npy", b"")
    line = one_error_line(cli(*_analyze(many, tmp_path / "out")))
    assert line == ("auditlens: error: --model: model.skops has 100,001 members; expected at most 100,000 for a saved "
                    "model (a damaged or hostile archive?)")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"schema_version": "1.0", "audit": "\xff\xfe"}', "results.json: not valid JSON (expected UTF-8; byte 36 is not)"),
        (b"[" * 200_000 + b"]" * 200_000, "results.json: not valid results (nested too deeply to read)"),
    ],
    ids=["invalid-utf8", "deep-nesting"],
)
def test_17_render_of_unreadable_results_is_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "results.json").write_bytes(content)
    line = one_error_line(cli("render", str(tmp_path / "results.json"), "--out", str(tmp_path / "out")))
    assert line == f"auditlens: error: {message}"
    assert not (tmp_path / "out").exists()


def test_18_a_bit_flipped_optuna_study_is_one_line(tmp_path: Path) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}", study_name="s")
    study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2 + t.suggest_float("y", 0, 1), n_trials=30)
    data = bytearray((tmp_path / "study.db").read_bytes())
    for offset in range(4096, len(data), 997):  # flip every bit of one byte in 997, past the header
        data[offset] ^= 0xFF
    (tmp_path / "flipped.db").write_bytes(bytes(data))
    line = one_error_line(cli("importance", "--storage", f"sqlite:///{tmp_path / 'flipped.db'}", "--study", "s"))
    assert line.startswith("auditlens: error: --storage: flipped.db is ")
    assert "damaged" in line


def test_18_a_number_column_holding_text_is_one_line(tmp_path: Path) -> None:
    table = _planted_trials(20)
    table.insert(0, "number", [str(i) for i in range(20)])
    table.loc[3, "number"] = "three"
    table.to_csv(tmp_path / "trials.csv", index=False)
    line = one_error_line(cli("importance", str(tmp_path / "trials.csv")))
    assert line == "auditlens: error: number: expected whole trial numbers; got 'three' in row 4 of trials.csv"


def test_19_importance_json_never_prints_nan(tmp_path: Path) -> None:
    _planted_trials(2).to_csv(tmp_path / "two.csv", index=False)
    result = cli("importance", str(tmp_path / "two.csv"), "--json")
    assert result.returncode == 0, result.stderr
    assert "NaN" not in result.stdout and "Infinity" not in result.stdout

    def strict(token: str) -> None:
        raise ValueError(f"not JSON: {token}")

    report = json.loads(result.stdout, parse_constant=strict)
    assert report["n_trials"] == 2
    assert [e["std"] for e in report["main_effects"]] == [None, None]  # undefined with 2 trials: null


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://alice:p@ss@db.example:5432/optuna", "postgresql://alice:***@db.example:5432/optuna"),
        ("mysql://u:a@b@c@h/db?sslmode=require", "mysql://u:***@h/db?sslmode=require"),
        ("postgresql://alice:pw@host/db", "postgresql://alice:***@host/db"),
    ],
)
def test_20_passwords_holding_an_at_sign_are_hidden_whole(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_20_the_error_for_such_a_url_shows_no_part_of_the_password(tmp_path: Path) -> None:
    result = cli("importance", "--storage", "postgresql://alice:p@ss-w0rd@127.0.0.1:9/optuna", "--study", "s")
    line = one_error_line(result)
    assert line.startswith("auditlens: error: --storage: cannot open 'postgresql://alice:***@127.0.0.1:9/optuna': ")
    for piece in ("p@ss", "ss-w0rd", "w0rd"):
        assert piece not in result.stderr
