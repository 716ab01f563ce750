"""Product-form test functions with analytic Sobol indices, run through `auditlens importance`.

``f(x) = prod_j (|4 x_j - 2| + a_j) / (1 + a_j)`` on ``[0, 1]^D`` (Sobol's g-function family):
each factor has mean 1 and variance ``V_j = 1 / (3 (1 + a_j)^2)``, so the total variance is
``prod_j (1 + V_j) - 1``, a main effect is ``V_j / V`` and a pure pair ``V_j V_k / V``.
The coefficient vectors were fixed before any result was seen (small ``a``: important).
Shared by tests/fanova/test_product_form.py and benchmarks/fanova_accuracy.py.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

INSTANCES: dict[str, tuple[float, ...]] = {
    "g6": (0, 1, 4.5, 9, 99, 99),
    "g8": (0, 0, 3, 9, 9, 99, 99, 99),
    "g12": (0.5, 1, 2, 3, 5, 9, 20, 50, 99, 99, 99, 99),
    "g20": (0, 1, 2, 4, 9, *[99] * 15),
}


def analytic(a: tuple[float, ...]) -> tuple[np.ndarray, dict[tuple[int, int], float]]:
    """Main effects and pure pairs of the product with coefficients ``a``."""
    v = np.array([1 / (3 * (1 + x) ** 2) for x in a])
    total = float(np.prod(1 + v) - 1)
    pairs = {(j, k): v[j] * v[k] / total for j, k in itertools.combinations(range(len(a)), 2)}
    return v / total, pairs


def sample(name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` noise-free trials drawn uniformly (seeded by ``n`` and ``D``)."""
    a = np.array(INSTANCES[name], dtype=float)
    rng = np.random.default_rng([n, a.size])
    X = rng.random((n, a.size))
    return X, np.prod((np.abs(4 * X - 2) + a) / (1 + a), axis=1)


def run_cli(name: str, n: int, folder: Path, *, python: str = sys.executable) -> dict:
    """`auditlens importance TABLE --json` on the trials, without a space file."""
    X, y = sample(name, n)
    d = X.shape[1]
    path = folder / f"{name}_{n}.csv"
    frame = pd.DataFrame(X, columns=[f"x{j + 1}" for j in range(d)]).assign(value=y)
    frame.to_csv(path, index=False)
    done = subprocess.run(
        [python, "-m", "auditlens.cli", "importance", str(path), "--json",
         "--pairs", str(d * (d - 1) // 2), "--permutations", "0"],
        capture_output=True, text=True, check=True,
    )
    return json.loads(done.stdout)


def errors(name: str, report: dict) -> tuple[float, float]:
    """Largest |error| over main effects and over all pairs (a pair not listed counts as 0)."""
    a = INSTANCES[name]
    mains, pairs = analytic(a)
    got = {m["param"]: m["importance"] for m in report["main_effects"]}
    got_pairs = {frozenset(p["params"]): p["importance"] for p in report["pairwise"]}
    main_err = max(abs(got.get(f"x{j + 1}", 0.0) - s) for j, s in enumerate(mains))
    pair_err = max(
        abs(got_pairs.get(frozenset((f"x{j + 1}", f"x{k + 1}")), 0.0) - s)
        for (j, k), s in pairs.items()
    )
    return main_err, pair_err
