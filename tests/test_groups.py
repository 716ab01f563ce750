"""Per-group metrics: fairlearn numbers checked by hand on a tiny example, binning, seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditlens.errors import SpecError
from auditlens.groups import _fast_metrics, _metrics, band_labels, bin_attribute, group_metrics
from auditlens.spec import parse_spec


def _tiny() -> tuple[np.ndarray, np.ndarray, pd.Series]:
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    p = np.array([0.2, 0.8, 0.4, 0.6, 0.9, 0.1, 0.6, 0.7])
    g = pd.Series(list("aaaabbbb"), name="sex")
    return y, p, g


def test_group_metrics_by_hand() -> None:
    y, p, g = _tiny()
    res = group_metrics(y, p, g, n_boot=0)
    a, b = res.groups
    # a: predicted [0,1,0,1] vs [0,1,1,0]; b: predicted [1,0,1,1] vs [1,0,0,1]
    assert (a.group, a.n, a.positives) == ("a", 4, 2)
    assert a.metrics == {"roc_auc": 0.75, "accuracy": 0.5, "tpr": 0.5, "fpr": 0.5, "selection_rate": 0.5}
    assert b.metrics == {"roc_auc": 1.0, "accuracy": 0.75, "tpr": 1.0, "fpr": 0.5, "selection_rate": 0.75}
    assert res.demographic_parity_difference == pytest.approx(0.25)
    assert res.demographic_parity_ratio == pytest.approx(0.5 / 0.75)
    assert res.equalized_odds_difference == pytest.approx(0.5)  # max(|0.5-1|, |0.5-0.5|)
    assert a.ci_low["accuracy"] is None and res.demographic_parity_difference_ci == (None, None)


def test_undefined_auc_is_none() -> None:
    y = np.array([0, 0, 1, 1, 0, 1])
    p = np.array([0.1, 0.7, 0.8, 0.3, 0.2, 0.9])
    res = group_metrics(y, p, pd.Series(list("aabbcc"), name="g"), n_boot=0)
    assert res.groups[0].metrics["roc_auc"] is None  # group a has one class
    assert res.groups[2].metrics["roc_auc"] == 1.0


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 200)
    p = np.clip(0.3 * y + 0.7 * rng.random(200), 0, 1)
    g = pd.Series(rng.choice(["x", "y"], 200), name="g")
    one = group_metrics(y, p, g, n_boot=50, seed=1)
    two = group_metrics(y, p, g, n_boot=50, seed=1)
    other = group_metrics(y, p, g, n_boot=50, seed=2)
    assert one == two
    assert one.groups[0].ci_low != other.groups[0].ci_low
    for r in one.groups:
        for m, v in r.metrics.items():
            assert r.ci_low[m] <= v <= r.ci_high[m], m


def test_fast_bootstrap_metrics_equal_the_library() -> None:
    rng = np.random.default_rng(0)
    fair, fast = _metrics(0.5), _fast_metrics(0.5)
    for _ in range(40):
        n = int(rng.integers(2, 30))
        y, p = rng.integers(0, 2, n), np.round(rng.random(n), 1)  # rounding makes ties
        for k in fair:
            x, z = fair[k](y, p), fast[k](y, p)
            assert (np.isnan(x) and np.isnan(z)) or x == pytest.approx(z, abs=1e-12), k


def test_binning() -> None:
    assert band_labels([25, 35, 50]) == ["< 25", "25 to < 35", "35 to < 50", ">= 50"]
    age = pd.Series([19, 25, 34, 35, 49, 50, 70], name="age")
    labels, kind, edges = bin_attribute(age, edges=[25, 35, 50])
    assert kind == "numeric" and edges == (25.0, 35.0, 50.0)
    assert labels.astype(str).tolist() == ["< 25", "25 to < 35", "25 to < 35", "35 to < 50", "35 to < 50", ">= 50", ">= 50"]
    many = pd.Series(np.arange(100), name="x")
    _, _, quartiles = bin_attribute(many)
    assert quartiles == (24.8, 49.5, 74.2)  # quartiles, 3 significant digits
    few = pd.Series([1, 2, 1, 2], name="n")
    assert bin_attribute(few)[1] == "categorical"


def test_spec_groups_section() -> None:
    base = {
        "audit": {k: "x" for k in ("title", "model_name", "model_version", "owner", "intended_use")},
        "data": {"path": "d.csv", "target": "y", "positive_class": 1, "protected_attributes": ["age"]},
        "model": {"estimator": "logistic_regression"},
        "tuning": {"space": {"C": {"type": "float", "low": 0.1, "high": 1.0}}},
    }
    spec = parse_spec({**base, "groups": {"bins": {"age": [25, 35]}, "bootstrap": 100}})
    assert spec.groups.bins == {"age": (25.0, 35.0)} and spec.groups.bootstrap == 100
    with pytest.raises(SpecError, match="groups.bins keys among data.protected_attributes"):
        parse_spec({**base, "groups": {"bins": {"income": [1, 2]}}})
    with pytest.raises(SpecError, match=r"^groups\.bins: expected strictly increasing"):
        parse_spec({**base, "groups": {"bins": {"age": [35, 25]}}})


def test_bootstrap_intervals_equal_fairlearns_metricframe() -> None:
    """Our numpy bootstrap uses fairlearn's resamples; its intervals must be fairlearn's."""
    import warnings

    from fairlearn.metrics import MetricFrame

    from auditlens.groups import _bootstrap

    rng = np.random.default_rng(5)
    n = 300
    y = rng.integers(0, 2, n)
    p = np.round(np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1), 2)  # ties, as real scores have
    sf = pd.Series(rng.choice(["a", "b", "c"], n, p=[0.6, 0.37, 0.03]), name="g")  # "c" is tiny
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = MetricFrame(metrics=_fast_metrics(0.5), y_true=y, y_pred=p, sensitive_features=sf,
                            n_boot=60, ci_quantiles=[0.025, 0.975], random_state=7)
        low, high = frame.by_group_ci
        dp = frame.difference_ci()
    ours_low, ours_high, ours_dp = _bootstrap(y, p, sf, 0.5, 60, 7)
    pd.testing.assert_frame_equal(ours_low, low.loc[ours_low.index, ours_low.columns], check_names=False, atol=1e-12)
    pd.testing.assert_frame_equal(ours_high, high.loc[ours_high.index, ours_high.columns], check_names=False, atol=1e-12)
    assert ours_dp == pytest.approx((dp[0]["selection_rate"], dp[1]["selection_rate"]), abs=1e-12)


def _gathered_draws(y: np.ndarray, p: np.ndarray, codes: np.ndarray, n_groups: int, seeds: np.ndarray) -> np.ndarray:
    """The bootstrap as written first: gather each resample's rows, then the metrics on them."""
    metrics = _fast_metrics(0.5)
    positions = pd.Series(np.arange(len(y)))
    draws = np.full((len(seeds), n_groups, len(metrics)), np.nan)
    for b, r in enumerate(seeds):
        idx = positions.sample(frac=1, replace=True, random_state=int(r)).to_numpy()
        for g in range(n_groups):
            mask = codes[idx] == g
            if mask.any():
                draws[b, g] = [m(y[idx][mask], p[idx][mask]) for m in metrics.values()]
    return draws


@pytest.mark.parametrize("n", [7, 300, 5000])
def test_the_counted_bootstrap_equals_the_gathered_one_bit_for_bit(n: int) -> None:
    """Resamples read as counts per row give exactly the metrics of the gathered rows: ties at the
    threshold and between classes, a group of one row, a group of one class, a group never drawn."""
    from auditlens.groups import _draws

    rng = np.random.default_rng(n)
    y = rng.integers(0, 2, n)
    p = np.round(np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1), 1)  # many ties, some at 0.5 exactly
    codes = rng.choice(4, n, p=[0.6, 0.3, 0.1, 0.0]).astype(np.int8)
    codes[0] = 3  # a group of one row: absent from about a third of the resamples
    codes[1:3] = 4
    y[1:3] = 1  # a group of one class: its AUC is undefined (NaN), its FPR 0 by fairlearn's rule
    codes[n - 1] = 5 if n > 7 else codes[n - 1]
    seeds = np.random.default_rng(1).integers(0, np.iinfo(np.uint32).max, size=40, dtype=np.uint32)
    ours = _draws(y, p, codes, 7, 0.5, seeds)  # group 6 has no rows: NaN throughout
    assert np.array_equal(ours, _gathered_draws(y, p, codes, 7, seeds), equal_nan=True)
    assert np.isnan(ours[:, 6]).all()  # the cases are there: no rows; one row, sometimes drawn; one class
    single = np.isnan(ours[:, 3, 1])
    assert single.any() and not single.all()
    one_class = ours[~np.isnan(ours[:, 4, 1]), 4]
    assert len(one_class) and np.isnan(one_class[:, 0]).all() and (one_class[:, 3] == 0).all()


def test_missing_attribute_values_form_their_own_group() -> None:
    """A missing value is neither a crash nor silently the top band."""
    sex, kind, _ = bin_attribute(pd.Series(["f", "m", np.nan, "m"], name="sex"))
    assert kind == "categorical" and sex.tolist() == ["f", "m", "(missing)", "m"]
    age, kind, _ = bin_attribute(pd.Series([20.0, 30.0, np.nan, 50.0], name="age"), edges=[25, 45])
    assert kind == "numeric" and age.tolist() == ["< 25", "25 to < 45", "(missing)", ">= 45"]
    assert list(age.cat.categories) == ["< 25", "25 to < 45", ">= 45", "(missing)"]


@pytest.mark.parametrize("values", [
    [1, True, "1", 1.0, None, "True"],  # equal to each other, printed differently
    [0.0, -0.0, 1.0, np.nan, 0.0],
    ["b", "a", None, "b"],
    [b"x", b"y", b"x"],
    [2, 0, 2, 1, 0],
    [0.5, 1.5, np.nan, 0.5],
    [True, False, True],
])
def test_a_category_is_the_text_of_its_value_even_where_values_compare_equal(values: list) -> None:
    column = pd.Series(np.array(values, dtype=object) if any(isinstance(v, (str, bytes)) for v in values) else values, name="a")
    labels, kind, _ = bin_attribute(column)
    expected = ["(missing)" if pd.isna(v) else str(v) for v in column.tolist()]
    assert kind == "categorical" and labels.astype(str).tolist() == expected
    assert list(labels.cat.categories) == sorted(set(expected) - {"(missing)"}) + (["(missing)"] if "(missing)" in expected else [])


def test_intersection_labels_are_unambiguous() -> None:
    from auditlens.errors import DataError
    from auditlens.groups import intersect as _intersect

    a, _, _ = bin_attribute(pd.Series(["f", "m", "m", np.nan], name="sex"))
    b, _, _ = bin_attribute(pd.Series([20.0, 30.0, 60.0, 30.0], name="age"), edges=[25, 45])
    both = _intersect([a, b], ["sex", "age"])
    assert both.tolist() == ["f × < 25", "m × 25 to < 45", "m × >= 45", "(missing) × 25 to < 45"]
    clash = [pd.Series(pd.Categorical(["x × y", "x"]), name="p"), pd.Series(pd.Categorical(["z", "y × z"]), name="q")]
    with pytest.raises(DataError, match=r"^groups.intersections: the groups of p, q contain ' × '"):
        _intersect(clash, ["p", "q"])


def test_point_estimates_and_disparities_equal_fairlearns() -> None:
    """group_metrics computes them in numpy (fast at 1,000,000 rows); fairlearn is the reference."""
    import warnings

    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
    )

    from auditlens.groups import _metrics

    rng = np.random.default_rng(11)
    for n, shares in ((400, [0.6, 0.37, 0.03]), (60, [0.5, 0.45, 0.05])):  # a tiny group, maybe one class
        y = rng.integers(0, 2, n)
        p = np.round(np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1), 2)
        sf = pd.Series(rng.choice(["a", "b", "c"], n, p=shares), name="g")
        ours = group_metrics(y, p, sf, n_boot=0)
        predicted = (p >= 0.5).astype(int)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            by = MetricFrame(metrics=_metrics(0.5), y_true=y, y_pred=p, sensitive_features=sf).by_group
            assert ours.demographic_parity_difference == pytest.approx(
                demographic_parity_difference(y, predicted, sensitive_features=sf), abs=1e-15)
            assert ours.demographic_parity_ratio == pytest.approx(
                demographic_parity_ratio(y, predicted, sensitive_features=sf), abs=1e-15)
            assert ours.equalized_odds_difference == pytest.approx(
                equalized_odds_difference(y, predicted, sensitive_features=sf), abs=1e-15)
        for g in ours.groups:
            for m, v in g.metrics.items():
                ref = by.loc[g.group, m]
                assert (v is None and np.isnan(ref)) or v == pytest.approx(ref, abs=1e-12), (g.group, m)


@pytest.mark.parametrize("labels", [
    pd.Categorical(["b", "a", "c", "a"], categories=["c", "b", "a", "unused"]),  # a category no row has
    pd.Categorical(["x", "y", None, "x"]),  # a missing label (not from bin_attribute): its row's text
    pd.Categorical([1, 2, 1, 2]),  # categories that are not text
    np.array(["b", 1, 1.0, "b"], dtype=object),  # 1 and 1.0 print differently: two groups
])
def test_groups_read_from_category_codes_equal_the_text_of_each_row(labels: object) -> None:
    """_Grouped reads bin_attribute's labels from their codes; any labels give what each row's text gives."""
    from auditlens.groups import _Grouped

    series = pd.Series(labels, name="g")
    ours = _Grouped.of(series)
    texts = [str(t) for t in np.asarray(series.astype(str), dtype=object)]
    assert ours.labels == sorted(set(texts))
    assert [ours.labels[c] for c in ours.codes] == texts
    y = np.array([0, 1, 1, 0])
    p = np.array([0.2, 0.7, 0.6, 0.4])
    by_codes = group_metrics(y, p, series, n_boot=20, seed=1)
    by_text = group_metrics(y, p, pd.Series(np.array(texts, dtype=object), name="g"), n_boot=20, seed=1)
    assert {g.group: g for g in by_codes.groups} == {g.group: g for g in by_text.groups}
    assert by_codes.demographic_parity_difference_ci == by_text.demographic_parity_difference_ci


def test_intersections_of_a_million_rows_equal_the_text_joined_row_by_row() -> None:
    """The combined labels (now computed without a Python loop over rows) equal each row's texts joined."""
    from auditlens.groups import intersect as _intersect

    rng = np.random.default_rng(3)
    a, _, _ = bin_attribute(pd.Series(rng.choice(["f", "m", None], 1_000_000), name="sex"))
    b, _, _ = bin_attribute(pd.Series(rng.integers(18, 80, 1_000_000).astype(float), name="age"), edges=[25, 45])
    both = _intersect([a, b], ["sex", "age"])
    sample = rng.choice(1_000_000, 2000, replace=False)
    assert [both.iloc[i] for i in sample] == [f"{a.iloc[i]} × {b.iloc[i]}" for i in sample]
    assert list(both.cat.categories) == [f"{x} × {y}" for x in a.cat.categories for y in b.cat.categories
                                         if ((a == x) & (b == y)).any()]
