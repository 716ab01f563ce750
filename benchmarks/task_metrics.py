"""CPU time of the held-out and per-group metrics of regression and multiclass models (issue 14),
and of the one choice that set it: weighted sums with ``np.einsum`` instead of ``@``.

    python benchmarks/task_metrics.py [--repeats 3]

Synthetic rows (the time depends on the row count, not on the values): a skewed positive target
with multiplicative noise; Dirichlet class probabilities with labels drawn from them. Prints a
Markdown table of median wall and process-CPU seconds (the machine is shared: compare within one run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import pandas as pd

from auditlens.evaluate_multiclass import evaluate_multiclass
from auditlens.evaluate_regression import evaluate_regression
from auditlens.groups_tasks import multiclass_group_metrics, regression_group_metrics


def _times(fn, repeats: int) -> tuple[float, float]:
    """Median wall and process-CPU seconds (BLAS threads waiting for a core cost wall, not CPU)."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n_reg, n_mc, k = 100_000, 20_000, 5
    y = rng.gamma(2.0, 50.0, n_reg)
    pred = y * rng.lognormal(0.0, 0.3, n_reg)
    groups = pd.Series(rng.choice(list("abcd"), n_reg), name="g")
    proba = rng.dirichlet(np.ones(k), n_mc)
    codes = (proba.cumsum(axis=1) < rng.random((n_mc, 1))).sum(axis=1)
    cases = {
        f"evaluate_regression, {n_reg:,} rows, 1000 resamples": lambda: evaluate_regression(
            y, pred
        ),
        f"evaluate_multiclass, {n_mc:,} rows, K={k}, 1000 resamples": lambda: evaluate_multiclass(
            codes, proba, list("abcde")
        ),
        f"regression_group_metrics, {n_reg:,} rows, 4 groups, 200 resamples": lambda: (
            regression_group_metrics(y, pred, groups, n_boot=200)
        ),
        f"multiclass_group_metrics, {n_mc:,} rows, 4 groups": lambda: multiclass_group_metrics(
            codes, proba.argmax(axis=1), groups[:n_mc], list("abcde")
        ),
    }
    w = np.ones(n_mc)
    x = rng.random(n_mc)
    cases[f"one weighted sum, {n_mc:,} rows, x 1000: w @ x"] = lambda: [w @ x for _ in range(1000)]
    cases[f"one weighted sum, {n_mc:,} rows, x 1000: einsum"] = lambda: [
        np.einsum("i,i->", w, x) for _ in range(1000)
    ]
    print(f"load {os.getloadavg()[0]:.1f} at the start; medians of {args.repeats}\n")
    print("| case | wall s | CPU s |\n|---|---|---|")
    for name, fn in cases.items():
        wall, cpu = _times(fn, args.repeats)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
