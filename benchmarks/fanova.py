"""CPU time of auditlens' fANOVA engine vs Optuna's FanovaImportanceEvaluator.

Data: Ishigami on the unit cube plus irrelevant uniform parameters (D=6 or 20), N trials.
Every run fits its own 64-tree forest (all parameters per split, seed 0, one job) and
computes importances; the table shows the median CPU time (``time.process_time``) of
``--repeats`` runs. Optuna computes main effects only (per tree, in Python).

Run:  python benchmarks/fanova.py [--repeats 3] [--write]   (--write updates README.md)
"""

from __future__ import annotations

import argparse
import platform
import re
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import optuna
import sklearn
from optuna.distributions import FloatDistribution
from optuna.importance import FanovaImportanceEvaluator, get_param_importances

from auditlens.fanova import decompose

SIZES = [(6, 200), (6, 1000), (20, 200), (20, 1000)]
README = Path(__file__).with_name("README.md")
BEGIN, END = "<!-- fanova-benchmark:begin -->", "<!-- fanova-benchmark:end -->"


def data(d: int, n: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    X = np.random.default_rng(0).random((n, d))
    x = X[:, :3] * 2 * np.pi - np.pi
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    return X, y, [f"x{i + 1}" for i in range(d)]


def optuna_study(X: np.ndarray, y: np.ndarray, names: list[str]) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()
    dist = FloatDistribution(0.0, 1.0)
    study.add_trials(
        [
            optuna.trial.create_trial(
                params=dict(zip(names, map(float, row), strict=True)),
                distributions=dict.fromkeys(names, dist),
                value=float(v),
            )
            for row, v in zip(X, y, strict=True)
        ]
    )
    return study


def cpu(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", action="store_true", help=f"write the table into {README.name}")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    decompose(*data(3, 50)[:2], names=["a", "b", "c"], n_trees=2)  # warm imports

    lines = [
        (
            "| D | N | Optuna FanovaImportanceEvaluator (main effects) "
            "| auditlens per_tree, mains | "
            "auditlens forest_mean, mains | auditlens forest_mean, mains + all pairs | "
            "Optuna / per_tree | Optuna / forest_mean |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for d, n in SIZES:
        X, y, names = data(d, n)
        study = optuna_study(X, y, names)
        evaluator = FanovaImportanceEvaluator(n_trees=64, max_depth=64, seed=0)
        t_optuna = cpu(
            partial(get_param_importances, study, evaluator=evaluator, normalize=False),
            args.repeats,
        )
        ours = partial(decompose, X, y, names=names, n_trees=64, seed=0)
        t_per_tree = cpu(partial(ours, estimator="per_tree", pairs=False), args.repeats)
        t_mean = cpu(partial(ours, pairs=False), args.repeats)
        t_pairs = cpu(partial(ours, pairs=True), args.repeats)
        row = (
            f"| {d} | {n} | {t_optuna:.2f} s | {t_per_tree:.2f} s | {t_mean:.2f} s "
            f"| {t_pairs:.2f} s "
            f"| {t_optuna / t_per_tree:.0f}x | {t_optuna / t_mean:.0f}x |"
        )
        lines.append(row)
        print(row, flush=True)
    env = (
        f"CPU seconds, median of {args.repeats}; Python {platform.python_version()}, "
        f"NumPy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, Optuna {optuna.__version__}, {platform.machine()}; "
        "each run includes fitting the 64-tree forest. "
        "Produced by `python benchmarks/fanova.py --write`."
    )
    table = "\n".join(lines)
    print("\n" + env)
    if args.write:
        block = f"{BEGIN}\n{table}\n\n{env}\n{END}"
        text = README.read_text() if README.exists() else ""
        if BEGIN in text:
            text = re.sub(
                re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.DOTALL
            )
        else:
            text = (
                text.rstrip()
                + ("\n\n" if text else "")
                + "## fANOVA engine vs Optuna\n\n"
                + block
                + "\n"
            )
        README.write_text(text)


if __name__ == "__main__":
    main()
