"""The data stage alone: the data summary and held-out performance against hand counts."""

from __future__ import annotations

import pandas as pd
import pytest

from auditlens.report.view.data import column_text
from auditlens.spec import DataSection
from auditlens.stages.data import data_summary, performance_summary

SECTION = DataSection(path="credit.csv", target="creditability", positive_class="bad", test_fraction=0.3,
                      protected_attributes=("age_in_years",))


def test_data_summary_counts_and_columns(ctx, credit_file) -> None:
    summary = data_summary(ctx, SECTION)
    frame = pd.read_csv(credit_file)
    assert summary.rows == 300 and summary.train_rows == 210 and summary.test_rows == 90
    assert summary.class_counts == frame["creditability"].value_counts().sort_index().to_dict()
    assert summary.evaluation == "split" and summary.test_fraction == 0.3
    age = next(c for c in summary.column_summaries if c.name == "age_in_years")
    q = frame["age_in_years"].quantile([0.0, 0.5, 1.0]).tolist()
    # results.json holds the numbers (schema 1.1); the report's view writes the line.
    assert (age.min, age.median, age.max) == tuple(q) and age.summary == ""
    assert age.kind == "numeric" and column_text(age, 300) == f"min {q[0]:,.0f}, median {q[1]:,.4g}, max {q[2]:,.0f}"
    job = next(c for c in summary.column_summaries if c.name == "job")
    top = frame["job"].value_counts()
    assert (job.most_frequent, job.most_frequent_count) == (top.index[0], top.iloc[0])
    assert column_text(job, 300) == f"most frequent: {top.index[0]} ({top.iloc[0] / 300:.0%})"


def test_performance_is_the_contexts_probabilities(ctx) -> None:
    perf = performance_summary(ctx)
    y = ctx.dataset.y_test
    assert perf.n == 90 and perf.positives == int(y.sum()) and perf.split == "test"
    assert perf.accuracy == pytest.approx(((ctx.test_prob >= 0.5) == (y == 1)).mean(), abs=1e-12)
    assert (perf.positive_class, perf.negative_class) == ("bad", "good")


def test_data_summary_stores_the_histograms_population_stability_needs(ctx, credit_file) -> None:
    summary = data_summary(ctx, SECTION)
    frame = pd.read_csv(credit_file)
    for column in summary.column_summaries:
        h = column.histogram
        assert h is not None and sum(h.counts) + h.missing == len(frame), column.name
    job = next(c for c in summary.column_summaries if c.name == "job").histogram
    counts = frame["job"].value_counts()
    assert job is not None and job.kind == "values"
    assert dict(zip(job.values, job.counts, strict=True)) == {str(k): int(v) for k, v in counts.items()}
