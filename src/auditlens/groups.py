"""Held-out performance per group of a protected attribute, and the usual disparity measures.

Metrics come from fairlearn (``MetricFrame``, ``demographic_parity_difference``/``_ratio``,
``equalized_odds_difference``), the field's standard, so the numbers match what a reviewer
gets with that library. Rates (accuracy, TPR, FPR, selection rate) get Wilson score 95%
intervals, which keep their coverage in small groups. ROC AUC and the disparity measures get
fairlearn's percentile bootstrap (not the ratio or the equalized-odds difference: a
bootstrap of a max-minus-min over small groups is biased away from the estimate; the checks
compare the two extreme groups with Katz and Newcombe intervals instead): the test rows are resampled with replacement ``n_boot``
times from a seeded generator (so a group's size varies between resamples) and the 2.5% and
97.5% quantiles are reported; an AUC interval is withheld, with a note, when a group has
fewer than :data:`~auditlens.intervals.MIN_CLASS_FOR_AUC` rows of either class.

A numeric attribute with more than :data:`FEW_VALUES` distinct values is cut into bands at
``edges`` (given in the spec, else the quartiles of the whole data column, rounded to 3
significant digits): the band ``[a, b)`` holds ``a <= x < b``.

Example:
    >>> import numpy as np, pandas as pd
    >>> y = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    >>> p = np.array([0.2, 0.8, 0.4, 0.6, 0.9, 0.1, 0.3, 0.7])
    >>> g = pd.Series(["a", "a", "a", "a", "b", "b", "b", "b"], name="sex")
    >>> res = group_metrics(y, p, g, n_boot=10, seed=0)
    >>> [(r.group, r.n, r.metrics["accuracy"]) for r in res.groups]
    [('a', 4, 0.5), ('b', 4, 1.0)]
    >>> round(res.demographic_parity_difference, 3)
    0.0
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from auditlens.errors import DataError
from auditlens.formatting import plain
from auditlens.intervals import MIN_CLASS_FOR_AUC, wilson

__all__ = ["FEW_VALUES", "GROUP_METRICS", "AttributeGroups", "GroupResult", "band_labels", "bin_attribute", "group_metrics", "intersect", "start_group_metrics"]

# A numeric column with at most this many distinct values is grouped by value, not binned.
FEW_VALUES = 10
# The group of rows whose attribute is missing (never silently put in another group).
MISSING = "(missing)"
# metric name -> label in the report, in display order.
GROUP_METRICS: dict[str, str] = {
    "roc_auc": "ROC AUC",
    "accuracy": "accuracy",
    "tpr": "true positive rate",
    "fpr": "false positive rate",
    "selection_rate": "selection rate",
}


@dataclass(frozen=True, slots=True)
class GroupResult:
    """One group's size and metrics; a metric is None where undefined (e.g. AUC of one class)."""

    group: str
    n: int
    positives: int
    metrics: dict[str, float | None]
    ci_low: dict[str, float | None]
    ci_high: dict[str, float | None]
    ci_notes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AttributeGroups:
    """Per-group metrics and disparity measures of one protected attribute."""

    attribute: str
    kind: str  # "categorical" or "numeric"
    edges: tuple[float, ...]
    groups: tuple[GroupResult, ...]
    demographic_parity_difference: float
    demographic_parity_ratio: float
    equalized_odds_difference: float
    demographic_parity_difference_ci: tuple[float | None, float | None] = field(default=(None, None))


def _sig(x: float, digits: int = 3) -> float:
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(round(x, digits - 1 - math.floor(math.log10(abs(x)))))


def band_labels(edges: Sequence[float]) -> list[str]:
    """Labels of the bands that ``edges`` cut a line into: ``< a``, ``a to < b``, ..., ``>= z``.

    Example:
        >>> band_labels([25, 35])
        ['< 25', '25 to < 35', '>= 35']
    """
    e = [float(v) for v in edges]
    if not e:
        return ["all"]
    labels = [f"< {plain(e[0])}"]
    labels += [f"{plain(a)} to < {plain(b)}" for a, b in pairwise(e)]
    labels.append(f">= {plain(e[-1])}")
    return labels


def bin_attribute(
    column: pd.Series, *, edges: Sequence[float] | None = None, reference: pd.Series | None = None
) -> tuple[pd.Series, str, tuple[float, ...]]:
    """Group labels (strings) for ``column``, its kind and the band edges used.

    Args:
        column: the attribute's values for the rows to group.
        edges: increasing band edges for a numeric column; None: quartiles of ``reference``.
        reference: the whole data column the default edges are taken from (else ``column``).

    Returns:
        ``(labels, kind, edges)``; labels keep the row index of ``column``; the categories of
        a banded column are ordered low to high; rows without a value form the group
        :data:`MISSING`, last.
    """
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    ref = column if reference is None else reference
    missing = column.isna().to_numpy()
    if not numeric or (edges is None and ref.nunique(dropna=True) <= FEW_VALUES):
        # Each distinct value's text once, not once per row (2 s per attribute at 1,000,000 rows);
        # where equal values print differently (1 and True, 0.0 and -0.0), the text of each row.
        values = column if _equal_values_have_equal_text(column) else column.map(str, na_action="ignore")
        codes, uniques = pd.factorize(values)  # missing values: code -1
        texts = [str(v) for v in pd.Series(uniques).tolist()]
        order = sorted(set(texts)) + ([MISSING] if missing.any() else [])
        position = {text: i for i, text in enumerate(order)}
        to_group = np.array([position[t] for t in texts] + [len(order) - 1], dtype=np.int64)  # -1: MISSING
        labels = pd.Categorical.from_codes(to_group[codes], categories=order)
        return pd.Series(labels, index=column.index, name=column.name), "categorical", ()
    if edges is None:
        qs = ref.dropna().quantile([0.25, 0.5, 0.75]).tolist()
        edges = sorted({_sig(q) for q in qs})
    edges = tuple(float(e) for e in edges)
    if any(b <= a for a, b in pairwise(edges)):
        raise DataError(f"groups.bins.{column.name}: edges must increase strictly. Got {list(edges)}.")
    names = band_labels(edges)
    codes = np.searchsorted(np.asarray(edges), column.to_numpy(dtype=np.float64), side="right")
    if missing.any():  # searchsorted puts NaN in the top band; it is a group of its own
        codes[missing] = len(names)
        names = [*names, MISSING]
    labels = pd.Categorical.from_codes(codes, categories=names)
    return pd.Series(labels, index=column.index, name=column.name), "numeric", edges


def _equal_values_have_equal_text(column: pd.Series) -> bool:
    """Whether values that compare equal (one group to ``pd.factorize``) always print alike.

    Not so for an object column mixing types (1, 1.0 and True are equal) nor for floats with
    both zeros (0.0 == -0.0); those are labelled value by value, as the text of each row.
    """
    kind = pd.api.types.infer_dtype(column, skipna=True)
    if kind in ("string", "boolean", "integer", "categorical", "empty"):
        return True
    if kind == "floating":
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        return not np.signbit(values[values == 0]).any()
    return False


def intersect(labels: Sequence[pd.Series], members: Sequence[str]) -> pd.Series:
    """One categorical label per row combining each attribute's group: 'a × b', in group order.

    Args:
        labels: each attribute's group labels (categorical, as from :func:`bin_attribute`),
            on the same rows.
        members: the attributes' names, for the error message.

    Returns:
        Labels with the index of ``labels[0]``; categories are the combinations present, in
        the order of the attributes' own categories.

    Raises:
        DataError: a group name contains ' × ', so combined labels would be ambiguous.
    """
    orders = [list(lab.cat.categories) for lab in labels]
    codes = np.column_stack([lab.cat.codes.to_numpy() for lab in labels])
    combos = list(itertools.product(*(range(len(o)) for o in orders)))
    text = [" × ".join(str(orders[k][c]) for k, c in enumerate(combo)) for combo in combos]
    if len(set(text)) != len(text):
        raise DataError(
            f"groups.intersections: the groups of {', '.join(members)} contain ' × ', so combined "
            "labels would be ambiguous; rename those values"
        )
    # a row's combination = its position in the product above (row-major, as ravel_multi_index)
    row_codes = np.ravel_multi_index(tuple(codes.T), tuple(len(o) for o in orders)) if len(codes) else np.empty(0, np.int64)
    present, compact = np.unique(row_codes, return_inverse=True)
    return pd.Series(
        pd.Categorical.from_codes(compact.ravel(), categories=[text[c] for c in present]),
        index=labels[0].index,
    )


def _metrics(threshold: float) -> dict[str, object]:
    """The metrics as fairlearn and scikit-learn define them (point estimates)."""
    from fairlearn.metrics import false_positive_rate, selection_rate, true_positive_rate
    from sklearn.metrics import accuracy_score, roc_auc_score

    def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
        y = np.asarray(y)
        return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")

    def cut(p: np.ndarray) -> np.ndarray:
        return (np.asarray(p) >= threshold).astype(int)

    return {
        "roc_auc": roc_auc,
        "accuracy": lambda y, p: float(accuracy_score(y, cut(p))),
        "tpr": lambda y, p: float(true_positive_rate(y, cut(p), pos_label=1)),
        "fpr": lambda y, p: float(false_positive_rate(y, cut(p), pos_label=1)),
        "selection_rate": lambda y, p: float(selection_rate(y, cut(p), pos_label=1)),
    }


def _fast_metrics(threshold: float) -> dict[str, object]:
    """The same metrics in plain numpy, for the bootstrap.

    scikit-learn's input validation costs about a millisecond a call, which over 200
    resamples × groups × metrics × attributes dominated the run; the values are equal
    (``tests/test_groups.py`` checks them against :func:`_metrics`).
    """
    from scipy.stats import rankdata

    def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
        y, p = np.asarray(y), np.asarray(p, dtype=np.float64)
        pos = y == 1
        n1 = int(pos.sum())
        n0 = len(y) - n1
        if n1 == 0 or n0 == 0:
            return float("nan")
        ranks = rankdata(p)  # average ranks: ties count one half, as in roc_auc_score
        return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))

    def rate(hits: np.ndarray, of: np.ndarray) -> float:
        n = int(of.sum())
        return float((hits & of).sum() / n) if n else 0.0  # fairlearn: 0 when undefined

    def accuracy(y: np.ndarray, p: np.ndarray) -> float:
        return float(np.mean(np.asarray(y) == (np.asarray(p) >= threshold)))

    def tpr(y: np.ndarray, p: np.ndarray) -> float:
        return rate(np.asarray(p) >= threshold, np.asarray(y) == 1)

    def fpr(y: np.ndarray, p: np.ndarray) -> float:
        return rate(np.asarray(p) >= threshold, np.asarray(y) == 0)

    def selection(y: np.ndarray, p: np.ndarray) -> float:
        return float(np.mean(np.asarray(p) >= threshold))

    return {"roc_auc": roc_auc, "accuracy": accuracy, "tpr": tpr, "fpr": fpr, "selection_rate": selection}


def _draws(
    y: np.ndarray, p: np.ndarray, codes: np.ndarray, n_groups: int, threshold: float, seeds: np.ndarray
) -> np.ndarray:
    """Every metric of every group in the resamples ``seeds`` name: (resamples, groups, metrics).

    A resample is read as how many times it drew each row (:class:`_RankedGroup`): the same
    numbers, bit for bit, as the metrics on the gathered rows, without sorting a million scores
    per resample.
    """
    return _resample_metrics(_rank_groups(y, p, codes, n_groups, threshold), len(y), seeds)


def _rank_groups(
    y: np.ndarray, p: np.ndarray, codes: np.ndarray, n_groups: int, threshold: float
) -> list[_RankedGroup]:
    y, p, codes = np.asarray(y), np.asarray(p), np.asarray(codes)
    return [_RankedGroup(y, p, np.flatnonzero(codes == g), threshold) for g in range(n_groups)]


def _resample_metrics(groups: list[_RankedGroup], n: int, seeds: np.ndarray) -> np.ndarray:
    """:func:`_draws` of ranked groups (of ``n`` rows). Resample ``b`` depends on ``seeds[b]``
    alone, so any split of the seeds gives the same rows (what lets a Dask cluster run them in
    blocks with equal results; the groups are ranked once, in the main process)."""
    # Arrays a cluster worker receives are views of the message's buffers, which index slower
    # (20 resamples of 1,000,000 rows: 7.7 s, 6.3 s on private copies); a copy costs milliseconds.
    groups = [group.private() for group in groups]
    draws = np.full((len(seeds), len(groups), len(GROUP_METRICS)), np.nan)
    for b, r in enumerate(seeds):
        # fairlearn's resample, as counts per row: DataFrame.sample(frac=1, replace=True,
        # random_state=r) draws RandomState(r).choice(n, n) (tests/test_groups.py checks the
        # intervals against fairlearn's); pandas' own call costs 3 times as much.
        drawn = np.bincount(np.random.RandomState(int(r)).choice(n, size=n, replace=True), minlength=n)
        for g, group in enumerate(groups):
            metrics = group.metrics(drawn)
            if metrics is not None:
                draws[b, g] = [metrics[m] for m in GROUP_METRICS]
    return draws


class _RankedGroup:
    """One group's rows sorted by score once, so that a resample's metrics are weighted sums.

    With ``w`` = how many times a resample drew each row: counts, rates and the ROC AUC of the
    gathered rows are sums of ``w``. The AUC is the Mann-Whitney count (ties one half, as
    ``rankdata``'s average ranks and ``roc_auc_score`` count them) over blocks of tied scores.
    Every sum is of integers below 2**53, so the results equal :func:`_fast_metrics` on the
    gathered rows exactly (``tests/test_groups.py``).
    """

    def __init__(self, y: np.ndarray, p: np.ndarray, rows: np.ndarray, threshold: float) -> None:
        order = rows[np.argsort(p[rows], kind="stable")]
        scores = p[order]
        self.rows = order
        self.positive = (y[order] == 1).astype(np.int64)
        self.first_predicted = int(np.searchsorted(scores, threshold, side="left"))  # p >= threshold from here
        self.ties = np.flatnonzero(np.r_[True, scores[1:] != scores[:-1]]) if len(scores) else scores

    def private(self) -> _RankedGroup:
        """A copy whose arrays this process owns (see :func:`_resample_metrics`)."""
        copy = object.__new__(_RankedGroup)
        copy.rows, copy.positive, copy.ties = np.array(self.rows), np.array(self.positive), np.array(self.ties)
        copy.first_predicted = self.first_predicted
        return copy

    def metrics(self, drawn: np.ndarray) -> dict[str, float] | None:
        """The metrics of this group in a resample (``drawn[i]``: times row i was drawn); None if absent."""
        w = drawn[self.rows]
        total = int(w.sum())
        if total == 0:
            return None
        wp = w * self.positive
        n1 = int(wp.sum())
        n0 = total - n1
        k = self.first_predicted
        selected, true_pos = int(w[k:].sum()), int(wp[k:].sum())
        false_pos = selected - true_pos
        true_neg = (total - selected) - (n1 - true_pos)
        auc = float("nan")
        if n1 and n0:
            pos_block = np.add.reduceat(wp, self.ties)
            neg_block = np.add.reduceat(w, self.ties) - pos_block
            below = np.cumsum(neg_block) - neg_block
            twice_u = int((pos_block * (2 * below + neg_block)).sum())
            auc = float((twice_u / 2) / (n1 * n0))
        return {
            "roc_auc": auc,
            "accuracy": (true_pos + true_neg) / total,
            "tpr": true_pos / n1 if n1 else 0.0,
            "fpr": false_pos / n0 if n0 else 0.0,
            "selection_rate": selected / total,
        }


def _start_draws(
    y: np.ndarray, p: np.ndarray, grouped: _Grouped, threshold: float, n_boot: int, seed: int, client: Any = None
) -> Callable[[], tuple[np.ndarray, list[str], list[str]]]:
    """Every metric of every group in each of fairlearn's bootstrap resamples, to read later.

    fairlearn draws ``n_boot`` uint32 seeds from ``numpy.random.default_rng(seed)`` and
    resamples the rows with ``DataFrame.sample(frac=1, replace=True, random_state=seed_i)``;
    the resamples here are the same. Its per-cell conversions cost ~1 µs a row per metric and
    group (a 100,000-row audit spent 5 minutes there); numpy arrays do the same work 9x faster.
    With a Dask ``client`` the resamples start on its workers now, in blocks
    (:mod:`auditlens.cluster`), and run while this process computes the point estimates; the
    results are equal. Without one they are computed when read.

    Returns:
        A function returning ``draws[b, g, m]`` (NaN where group g is absent from resample b),
        the group labels and the metric names.
    """
    names = list(GROUP_METRICS)  # the order _resample_metrics fills
    groups, codes = grouped.labels, grouped.codes
    seeds = np.random.default_rng(seed).integers(0, np.iinfo(np.uint32).max, size=n_boot, dtype=np.uint32)
    if client is None:
        return lambda: (_draws(y, p, codes, len(groups), threshold, seeds), groups, names)
    from auditlens.cluster import gather_chunks, n_workers, submit_chunks

    blocks = np.array_split(seeds, min(len(seeds), 4 * n_workers(client)))
    ranked = _rank_groups(y, p, codes, len(groups), threshold)
    futures = submit_chunks(client, _resample_metrics, [ranked, len(y)], blocks)
    return lambda: (np.concatenate(gather_chunks(client, futures), axis=0), groups, names)


def _bootstrap(
    y: np.ndarray, p: np.ndarray, sf: pd.Series, threshold: float, n_boot: int, seed: int, client: Any = None
) -> tuple[pd.DataFrame, pd.DataFrame, tuple[float, float]]:
    """fairlearn's MetricFrame bootstrap intervals, from the same resamples (:func:`_start_draws`).

    Percentiles as fairlearn takes them: ``nanquantile`` per group and metric (a group absent
    from a resample counts as NaN), ``quantile`` of the between-groups difference (max minus
    min); ``tests/test_groups.py`` checks the intervals equal fairlearn's.

    Returns:
        (ci_low, ci_high) frames indexed by group with one column per metric, and the
        interval of the selection-rate difference.
    """
    return _summarise(*_start_draws(y, p, _Grouped.of(sf), threshold, n_boot, seed, client)())


def _summarise(
    draws: np.ndarray, groups: list[str], names: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, tuple[float, float]]:
    low, high = _quantiles(draws)
    selection = draws[:, :, names.index("selection_rate")]
    spread = np.nanmax(selection, axis=1) - np.nanmin(selection, axis=1)
    dp = np.quantile(spread, [0.025, 0.975])
    return (
        pd.DataFrame(low, index=groups, columns=names),
        pd.DataFrame(high, index=groups, columns=names),
        (float(dp[0]), float(dp[1])),
    )


def _quantiles(values: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # all-NaN cells (undefined metric in every resample)
        return np.nanquantile(values, 0.025, axis=axis), np.nanquantile(values, 0.975, axis=axis)


def _wilson_intervals(y: np.ndarray, predicted: np.ndarray) -> dict[str, tuple[float, float]]:
    """Wilson 95% intervals of one group's rates (accuracy, TPR, FPR, selection rate)."""
    pos, neg = y == 1, y == 0
    counts = {
        "accuracy": (int((predicted == y).sum()), len(y)),
        "tpr": (int((predicted[pos] == 1).sum()), int(pos.sum())),
        "fpr": (int((predicted[neg] == 1).sum()), int(neg.sum())),
        "selection_rate": (int(predicted.sum()), len(y)),
    }
    return {m: wilson(k, n) for m, (k, n) in counts.items()}


def _auc_note(positives: int, negatives: int) -> str:
    if min(positives, negatives) >= MIN_CLASS_FOR_AUC:
        return ""
    return (
        f"no interval: {positives} positive and {negatives} negative rows (fewer than {MIN_CLASS_FOR_AUC} "
        "of a class), too few for a trustworthy AUC interval"
    )


def _finite(x: object) -> float | None:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def group_metrics(
    y_true: np.ndarray,
    prob: np.ndarray,
    groups: pd.Series,
    *,
    threshold: float = 0.5,
    n_boot: int = 200,
    seed: int = 0,
    kind: str = "categorical",
    edges: Sequence[float] = (),
    client: Any = None,
) -> AttributeGroups:
    """Per-group ROC AUC, accuracy, TPR, FPR and selection rate with 95% intervals.

    Rates get Wilson score intervals, which keep their coverage in small groups (a percentile
    bootstrap of 0 false positives among 10 rows gives [0, 0]); ROC AUC and the disparity
    difference gets fairlearn's percentile bootstrap, and a group with fewer than
    :data:`~auditlens.intervals.MIN_CLASS_FOR_AUC` rows of either class gets no AUC interval
    and a note saying why (``ci_notes``).

    Args:
        y_true: 0/1 labels (1 = positive class).
        prob: predicted probability of the positive class.
        groups: group label per row (see :func:`bin_attribute`); its name is the attribute.
        threshold: a row is predicted positive when ``prob >= threshold``.
        n_boot: bootstrap resamples (0: no intervals).
        seed: seeds the bootstrap.
        kind, edges: recorded as given (from :func:`bin_attribute`).
        client: optional Dask client running the bootstrap's resamples (same results).

    Returns:
        The :class:`AttributeGroups`; groups in label order, empty groups left out.
    """
    return start_group_metrics(
        y_true, prob, groups, threshold=threshold, n_boot=n_boot, seed=seed, kind=kind, edges=edges, client=client
    )()


def start_group_metrics(
    y_true: np.ndarray,
    prob: np.ndarray,
    groups: pd.Series,
    *,
    threshold: float = 0.5,
    n_boot: int = 200,
    seed: int = 0,
    kind: str = "categorical",
    edges: Sequence[float] = (),
    client: Any = None,
) -> Callable[[], AttributeGroups]:
    """:func:`group_metrics` in two steps: the inputs are checked and, with a ``client``, the
    bootstrap's resamples start on the cluster now; the returned function computes the rest
    and waits for them. Starting every attribute before finishing any keeps the workers busy
    while this process computes point estimates and intervals (same results)."""
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(prob, dtype=np.float64)
    if not (len(y) == len(p) == len(groups)):
        raise DataError(f"y_true, prob and groups must have the same length. Got {len(y)}, {len(p)}, {len(groups)}.")
    grouped = _Grouped.of(groups)
    draws = _start_draws(y, p, grouped, threshold, int(n_boot), int(seed), client) if n_boot > 0 else None

    def finish() -> AttributeGroups:
        # a categorical's groups in category order, then any other text a row has (a missing label)
        order = [str(c) for c in groups.cat.categories] if isinstance(groups.dtype, pd.CategoricalDtype) else []
        present = [c for c in dict.fromkeys([*order, *grouped.labels]) if c in grouped.labels]
        predicted = (p >= threshold).astype(int)
        low = high = None
        dp_ci: tuple[float | None, float | None] = (None, None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # undefined rates in tiny groups
            by = _by_group(y, p, grouped, threshold)
            if draws is not None:
                low, high, dp_ci = _summarise(*draws())
        selection, tpr, fpr = (by[m] for m in ("selection_rate", "tpr", "fpr"))
        dpd = float(selection.max() - selection.min())
        dpr = float(selection.min() / selection.max()) if selection.max() > 0 else float("nan")
        eod = float(max(tpr.max() - tpr.min(), fpr.max() - fpr.min()))
        results = [
            _group_result(g, y, p, predicted, grouped.codes == grouped.labels.index(g), by, low, high)
            for g in present
        ]
        return AttributeGroups(
            attribute=str(groups.name or "group"),
            kind=kind,
            edges=tuple(float(e) for e in edges),
            groups=tuple(results),
            demographic_parity_difference=dpd,
            demographic_parity_ratio=dpr,
            equalized_odds_difference=eod,
            demographic_parity_difference_ci=_finite_pair(dp_ci),
        )

    return finish


def _by_group(y: np.ndarray, p: np.ndarray, grouped: _Grouped, threshold: float) -> pd.DataFrame:
    """Each metric of each group (rows: groups in sorted order), as fairlearn's MetricFrame.

    The numpy metrics of the bootstrap, not MetricFrame: its per-cell conversions took about
    300 of the 410 s the groups stage spent on 1,000,000 rows, in the main process, where a
    cluster cannot help. The values equal MetricFrame's and fairlearn's disparity functions
    (``tests/test_groups.py``).
    """
    metrics = _fast_metrics(threshold)
    order = np.argsort(grouped.codes, kind="stable")
    bounds = np.searchsorted(grouped.codes[order], np.arange(len(grouped.labels) + 1))
    rows = {}
    for g, label in enumerate(grouped.labels):
        at = order[bounds[g] : bounds[g + 1]]
        rows[label] = {m: metric(y[at], p[at]) for m, metric in metrics.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


@dataclass(frozen=True)
class _Grouped:
    """Each row's group as a position (``codes``) among the sorted texts of the groups present
    (``labels``): a group is the text of its rows' label, as ``astype(str)`` prints it."""

    codes: np.ndarray
    labels: list[str]

    @classmethod
    def of(cls, groups: pd.Series) -> _Grouped:
        """Labels as :func:`bin_attribute` and :func:`intersect` give them (categories that are
        text, none missing) are read from their codes; turning 1,000,000 of them into strings
        and back cost about 1 s per attribute. Any other labels: the text of each row (a
        missing one prints as ``str`` prints it, e.g. "nan")."""
        if isinstance(groups.dtype, pd.CategoricalDtype) and all(isinstance(c, str) for c in groups.cat.categories):
            raw = groups.cat.codes.to_numpy()
            if not (raw < 0).any():
                return cls._from(raw, list(groups.cat.categories))
        raw, texts = pd.factorize(np.asarray(groups.astype(str), dtype=object), use_na_sentinel=False)
        return cls._from(raw, [str(t) for t in texts])

    @classmethod
    def _from(cls, raw: np.ndarray, texts: list[str]) -> _Grouped:
        """``raw`` indexes ``texts``; equal texts are one group; groups no row has are dropped."""
        used = np.bincount(raw, minlength=len(texts)) > 0
        labels = sorted({t for t, u in zip(texts, used, strict=True) if u})
        position = {t: i for i, t in enumerate(labels)}
        remap = np.array([position.get(t, -1) for t in texts], dtype=np.int64)
        return cls(remap[raw], labels)


def _finite_pair(pair: tuple[float | None, float | None]) -> tuple[float | None, float | None]:
    return (_finite(pair[0]), _finite(pair[1]))


def _group_result(
    g: str, y: np.ndarray, p: np.ndarray, predicted: np.ndarray, mask: np.ndarray,
    by: pd.DataFrame, low: pd.DataFrame | None, high: pd.DataFrame | None,
) -> GroupResult:
    """One group's metrics; rates get Wilson intervals, ROC AUC the bootstrap's (when trusted)."""
    positives = int(y[mask].sum())
    negatives = int(mask.sum()) - positives
    ci_low: dict[str, float | None] = dict.fromkeys(GROUP_METRICS)
    ci_high: dict[str, float | None] = dict.fromkeys(GROUP_METRICS)
    notes: dict[str, str] = {}
    if low is not None and high is not None:
        for m, (lo, hi) in _wilson_intervals(y[mask], predicted[mask]).items():
            ci_low[m], ci_high[m] = _finite(lo), _finite(hi)
        notes["roc_auc"] = _auc_note(positives, negatives)
        if not notes["roc_auc"]:
            ci_low["roc_auc"], ci_high["roc_auc"] = _finite(low.loc[g, "roc_auc"]), _finite(high.loc[g, "roc_auc"])
        notes = {k: v for k, v in notes.items() if v}
    return GroupResult(
        group=g, n=int(mask.sum()), positives=positives,
        metrics={m: _finite(by.loc[g, m]) for m in GROUP_METRICS},
        ci_low=ci_low, ci_high=ci_high, ci_notes=notes,
    )
