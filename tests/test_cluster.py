"""SHAP and the group bootstrap on a real Dask LocalCluster of 2 worker processes equal the
single-process results bit for bit; an audit on the cluster writes the same results.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sample_helpers import SAMPLE_DATA, sample_spec_text, write_spec

from auditlens.cluster import current_client, use_cluster
from auditlens.errors import SpecError
from auditlens.explain import explain_model
from auditlens.groups import bin_attribute, group_metrics
from auditlens.models import build_pipeline

# Minutes of work: run by `python -m pytest -m long` (and by .ci/run), not by a bare `python -m pytest`.
pytestmark = pytest.mark.long


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    with use_cluster("local", workers=2) as c:
        assert len(c.scheduler_info()["workers"]) == 2
        yield c


@pytest.fixture(scope="module")
def credit() -> tuple[pd.DataFrame, np.ndarray, list[str], list[str]]:
    frame = pd.read_csv(SAMPLE_DATA)
    y = (frame.pop("creditability") == "bad").to_numpy(dtype=int)
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [c for c in frame.columns if c not in numeric]
    return frame, y, numeric, categorical


def test_local_workers_keep_glibcs_adaptive_malloc(client) -> None:  # type: ignore[no-untyped-def]
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_, which made a worker's bootstrap 1.7x slower than
    # the same work in a plain process (every large array mmapped anew); the thread limits stay.
    import os

    seen = client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS")))
    assert set(seen.values()) == {(None, "1")}


def test_tree_shap_on_the_cluster_equals_one_process(client, credit) -> None:  # type: ignore[no-untyped-def]
    X, y, numeric, categorical = credit
    model = build_pipeline("hist_gradient_boosting", numeric=numeric, categorical=categorical,
                           params={"max_iter": 60}, seed=0).fit(X, y)
    alone = explain_model(model, X, X, positive_class=1, seed=3)
    seen: list[tuple[int, int]] = []
    spread = explain_model(model, X, X, positive_class=1, seed=3, client=client,
                           progress=lambda done, total: seen.append((done, total)))
    assert spread.values.shape == (1000, X.shape[1])
    assert np.array_equal(spread.values, alone.values)  # bit for bit, not allclose
    assert spread.base_value == alone.base_value and spread.additivity_gap == alone.additivity_gap
    # progress: rows done out of all rows, chunk by chunk, in more than one step
    assert len(seen) >= 2 and seen[-1] == (1000, 1000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_group_bootstrap_on_the_cluster_equals_one_process(client, credit) -> None:  # type: ignore[no-untyped-def]
    X, y, _, _ = credit
    prob = np.random.default_rng(0).uniform(size=len(y)) * 0.5 + y * 0.3
    labels, kind, edges = bin_attribute(X["age_in_years"], edges=[25, 35, 50])
    alone = group_metrics(y, prob, labels, n_boot=60, seed=5, kind=kind, edges=edges)
    spread = group_metrics(y, prob, labels, n_boot=60, seed=5, kind=kind, edges=edges, client=client)
    assert spread == alone  # every metric and interval, exactly
    assert any(g.ci_low["roc_auc"] is not None for g in spread.groups)


def test_no_cluster_and_a_bad_address() -> None:
    with use_cluster(None) as c:
        assert c is None and current_client() is None
    with (
        pytest.raises(SpecError, match=r"explain.cluster: expected a reachable Dask scheduler; cannot connect to 'tcp://127.0.0.1:9'"),
        use_cluster("tcp://127.0.0.1:9"),
    ):
        pass


@pytest.mark.slow
def test_an_audit_on_a_local_cluster_writes_the_same_results(small_run: Path, tmp_path: Path) -> None:
    from auditlens.cli import main

    text = sample_spec_text(trials="12", cv_folds="3", formats='["json"]')  # results only: no rendering
    text = text.replace("[explain]\n", '[explain]\ncluster = "local"\ncluster_workers = 2\n')
    spec = write_spec(tmp_path, text)
    assert main(["run", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    ours = json.loads((tmp_path / "out" / "results.json").read_text())
    theirs = json.loads((small_run / "results.json").read_text())
    # The spec file differs by the cluster line, so its hash does; nothing else may.
    for result in (ours, theirs):
        result["provenance"]["inputs"] = [i for i in result["provenance"]["inputs"] if i["role"] != "spec"]
    assert ours == theirs


def test_workers_that_read_the_parquet_file_give_the_same_values(client, credit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from auditlens.errors import AnalysisError
    from auditlens.explain import FileRows

    X, y, numeric, categorical = credit
    path = tmp_path / "credit.parquet"
    X.to_parquet(path, row_group_size=150)  # 7 row groups: each chunk reads only its own
    model = build_pipeline("hist_gradient_boosting", numeric=numeric, categorical=categorical,
                           params={"max_iter": 60}, seed=0).fit(X, y)
    positions = np.random.default_rng(1).permutation(len(X))[:700]  # any order, as a test split is
    explained = X.iloc[positions]
    alone = explain_model(model, X, explained, positive_class=1, seed=3)
    seen: list[tuple[int, int]] = []
    read = explain_model(model, X, explained, positive_class=1, seed=3, client=client,
                         rows_from=FileRows(str(path), positions), progress=lambda d, t: seen.append((d, t)))
    assert np.array_equal(read.values, alone.values)  # bit for bit, in the explained order
    assert seen[-1] == (700, 700) and len(seen) >= 2

    # Another file at that path: the workers' rows no longer match the audit's, and it says so.
    X.assign(duration_in_month=X["duration_in_month"] + 1).to_parquet(path, row_group_size=150)
    with pytest.raises(AnalysisError, match=r"explain.workers_read_data: a cluster worker read other values"):
        explain_model(model, X, explained, positive_class=1, seed=3, client=client,
                      rows_from=FileRows(str(path), positions))


@pytest.mark.slow
def test_an_audit_whose_workers_read_the_data_file(small_run: Path, tmp_path: Path) -> None:
    from auditlens.cli import main

    pd.read_csv(SAMPLE_DATA).to_parquet(tmp_path / "credit.parquet", row_group_size=200)
    text = sample_spec_text(trials="12", cv_folds="3", formats='["json"]')
    text = text.replace("[explain]\n", '[explain]\ncluster = "local"\ncluster_workers = 2\nworkers_read_data = true\n')
    text = re.sub(r'(?m)^path = ".*german_credit.*\.csv"', f'path = "{tmp_path / "credit.parquet"}"', text)
    assert "credit.parquet" in text
    spec = write_spec(tmp_path, text)
    assert main(["run", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    ours = json.loads((tmp_path / "out" / "results.json").read_text())
    theirs = json.loads((small_run / "results.json").read_text())
    assert ours["feature_effects"] == theirs["feature_effects"]


def test_work_sent_as_the_cluster_opens_waits_for_the_workers_warm_up(credit) -> None:  # type: ignore[no-untyped-def]
    """A shap explainer scattered while the workers still import shap (the warm-up, ~4 s) broke
    that import ("KeyError: 'shap'"); work now waits for the warm-up. The explainer is sent to
    fresh clusters 0 to 2 s after they open (the audit that failed sent it about 1 s after)."""
    import time

    import shap

    from auditlens.explain._shap import _tree_chunk

    X, y, numeric, categorical = credit
    frame = X[numeric].astype(np.float64)
    model = build_pipeline("hist_gradient_boosting", numeric=numeric, categorical=[], params={"max_iter": 20},
                           seed=0).fit(frame, y)[-1]
    explainer = shap.TreeExplainer(model, data=frame.to_numpy()[:50], feature_perturbation="interventional")
    rows = frame.to_numpy()[:40]
    alone = _tree_chunk(explainer, rows)
    from auditlens.cluster import map_chunks

    for delay in (0.0, 0.5, 1.0, 1.5, 2.0):
        with use_cluster("local", workers=2) as fresh:
            time.sleep(delay)
            parts = map_chunks(fresh, _tree_chunk, [explainer], [rows[:20], rows[20:]])
        assert np.array_equal(np.concatenate(parts), alone)
