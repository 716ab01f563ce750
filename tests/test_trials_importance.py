"""What importance reports about the trials it left out and the configurations repeated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from auditlens.importance import format_importance, open_trials, trial_importance


def test_report_counts_states_and_duplicates(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 40
    frame = pd.DataFrame({"a": rng.uniform(0, 1, n), "b": rng.choice(["x", "y"], n)})
    frame["loss"] = 3 * frame["a"] + (frame["b"] == "y")
    frame.loc[1, ["a", "b"]] = frame.loc[0, ["a", "b"]]  # a repeated configuration, another value
    frame.loc[1, "loss"] += 0.1
    frame["state"] = ["COMPLETE"] * n
    frame.loc[2, "state"] = "PRUNED"
    frame.loc[3, ["state", "loss"]] = ["FAIL", np.nan]
    frame.to_json(tmp_path / "t.jsonl", orient="records", lines=True)
    table = open_trials(trials_file=tmp_path / "t.jsonl", direction="minimize")
    report = trial_importance(table, pairs=0, seed=0)
    assert report["n_trials"] == 38 and report["n_failed_trials"] == 2
    assert report["states"] == {"COMPLETE": 38, "PRUNED": 1, "FAIL": 1}
    assert report["n_duplicate_configurations"] == 1
    first = format_importance(report).splitlines()[0]
    assert first == ("fANOVA importance of loss (minimize) over 38 completed trials (1 pruned, 1 failed excluded; "
                     "1 repeat an earlier configuration); trial table t.jsonl")
