"""Accuracy of the fANOVA engine on test functions with known Sobol indices, per surrogate.

Functions (x uniform on the unit cube; extra columns are irrelevant uniform parameters):

* Ishigami (a=7, b=0.1, x in [-pi, pi]^3): S1=0.3139, S2=0.4424, S3=0, S13=0.2437.
* Friedman #1, ``10 sin(pi x1 x2) + 20 (x3 - 1/2)^2 + 10 x4 + 5 x5``: S1=S2=0.1973,
  S3=0.0933, S4=0.3498, S5=0.0874, S12=0.0749 (computed here by quadrature).
* Sobol' G-function with a = (0, 1, 4.5, 9, 99, 99): analytic indices.

``noise`` is the standard deviation of Gaussian noise added to y (the truth stays the
noise-free function's). For every configuration, the seeds draw the trials (seed s) and seed
the surrogate; each table cell is the median over seeds and, in brackets, the min-max range.
"worst |median err|" is the largest distance between a median and the truth over the listed
indices, "worst err" the largest over every seed; "max irrelevant" is the largest main
effect of an irrelevant parameter over all seeds; "S? sd/std" compares the spread over seeds
of the largest index with the median reported ``std``. The last line is the CPU time of one
default ``decompose`` with all pairs at D=20, N=1,000 (n_jobs=1), median over seeds.

Run:  python benchmarks/fanova_accuracy.py            (surrogates compared, ~10 min)
      python benchmarks/fanova_accuracy.py --default-only   (the default surrogate only)
      python benchmarks/fanova_accuracy.py --screen   (settings screened, ~20 min)
      python benchmarks/fanova_accuracy.py --product-form [--before SRC]
          (product-form functions through `auditlens importance` without a space file; with
          --before, also a checkout's src/ for the before column)
      python benchmarks/fanova_accuracy.py --product-form-draws
          (the default surrogate's product-form main effects over 10 fresh draws at N = 2,000,
          beside an oracle that knows the functions; ~3 min)
      python benchmarks/fanova_accuracy.py --product-form-random [--before SRC]
          (12 product-form instances drawn at random, D = 6 to 20, N = 500 to 2,000, main
          effects and, at N = 2,000, pairs; instances the tests never saw; ~10 min)
      python benchmarks/fanova_accuracy.py --scale    (scale inference error rates by N)
      python benchmarks/fanova_accuracy.py --null [--null-trials N --null-repeats R]
          (permutation null on pure noise)
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from auditlens.fanova import decompose


def ishigami(u: np.ndarray) -> np.ndarray:
    x = u[:, :3] * 2 * np.pi - np.pi
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def friedman(u: np.ndarray) -> np.ndarray:
    return (
        10 * np.sin(np.pi * u[:, 0] * u[:, 1])
        + 20 * (u[:, 2] - 0.5) ** 2
        + 10 * u[:, 3]
        + 5 * u[:, 4]
    )


G_A = np.array([0.0, 1.0, 4.5, 9.0, 99.0, 99.0])


def g_function(u: np.ndarray) -> np.ndarray:
    return np.prod((np.abs(4 * u[:, :6] - 2) + G_A) / (1 + G_A), axis=1)


def _friedman_truth() -> dict[tuple[int, ...], float]:
    m = 2000  # midpoint rule on a 2000 x 2000 grid for the sin(pi x1 x2) part
    t = (np.arange(m) + 0.5) / m
    g = 10 * np.sin(np.pi * np.outer(t, t))
    g1 = g.mean(axis=1) - g.mean()
    v1 = float(np.mean(g1**2))
    v12 = float(np.mean((g - g.mean() - g1[:, None] - g1[None, :]) ** 2))
    v3 = 400 * (1 / 80 - 1 / 144)  # 20 c^2, c ~ U(-1/2, 1/2)
    v4, v5 = 100 / 12, 25 / 12
    total = 2 * v1 + v12 + v3 + v4 + v5
    return {
        (0,): v1 / total,
        (1,): v1 / total,
        (2,): v3 / total,
        (3,): v4 / total,
        (4,): v5 / total,
        (0, 1): v12 / total,
    }


def _g_truth() -> dict[tuple[int, ...], float]:
    v = 1 / (3 * (1 + G_A) ** 2)
    total = float(np.prod(1 + v) - 1)
    return {(0,): v[0] / total, (1,): v[1] / total, (2,): v[2] / total, (0, 1): v[0] * v[1] / total}


FUNCTIONS: dict[
    str, tuple[Callable[[np.ndarray], np.ndarray], dict[tuple[int, ...], float], int]
] = {
    # name: (function, indices shown with their truth, number of relevant parameters)
    "ishigami": (ishigami, {(0,): 0.3139, (1,): 0.4424, (2,): 0.0, (0, 2): 0.2437}, 3),
    # The last (irrelevant) parameter is a categorical with 3 choices, encoded as
    # tests/fanova/test_encodings.py does ((k + 0.5) / 3); a log-scaled x1 encodes to the
    # same unit-cube values as a plain one, so the engine sees exactly these trials.
    "ishigami+categorical": (ishigami, {(0,): 0.3139, (1,): 0.4424, (2,): 0.0, (0, 2): 0.2437}, 3),
    "friedman": (friedman, _friedman_truth(), 5),
    "g-function": (g_function, _g_truth(), 6),
}
# (function, D, N, noise sd, seeds)
CONFIGS = [
    ("ishigami", 3, 1500, 0.0, 10),
    ("ishigami", 8, 1500, 0.0, 5),
    ("ishigami", 20, 1000, 0.0, 5),
    ("ishigami+categorical", 8, 1500, 0.0, 5),
    ("ishigami", 8, 1500, 1.5, 5),  # noise variance 14% of the function's (13.84)
    ("ishigami", 8, 1500, 3.7, 5),  # about 50%
    ("friedman", 10, 1000, 1.0, 5),  # noise variance 4% (function: 23.8)
    ("g-function", 6, 1500, 0.0, 5),
]
SURROGATES: dict[str, dict[str, Any]] = {
    "gradient_boosting (default)": {},
    "random_forest, forest_mean": {"surrogate": "random_forest"},
    "random_forest, per_tree (as Optuna)": {"surrogate": "random_forest", "estimator": "per_tree"},
}
SCREEN_CONFIGS = [CONFIGS[i] for i in (0, 1, 2, 3, 5)]
SCREEN: dict[str, dict[str, Any]] = {
    "RF max_features=1.0 (old default)": {"surrogate": "random_forest"},
    "RF max_features=0.67": {"surrogate": "random_forest", "max_features": 0.67},
    "RF max_features=0.5": {"surrogate": "random_forest", "max_features": 0.5},
    "RF max_features=1/3": {"surrogate": "random_forest", "max_features": 1 / 3},
    "RF no bootstrap": {"surrogate": "random_forest", "bootstrap": False},
    "RF min_samples_leaf=5": {"surrogate": "random_forest", "min_samples_leaf": 5},
    "RF 256 trees": {"surrogate": "random_forest", "n_trees": 256},
    "GB depth 3": {"max_depth": 3},
    "GB depth 4": {"max_depth": 4},
    "GB depth 5 (default)": {},
    "GB depth 6": {"max_depth": 6},
    "GB min_samples_leaf=1": {"min_samples_leaf": 1},
    "GB subsample=0.8": {"subsample": 0.8},
    "GB 300 stages, rate 0.1": {"n_stages": 300, "learning_rate": 0.1},
    "GB max_features=0.5": {"max_features": 0.5},
}


def label(key: tuple[int, ...]) -> str:
    return "S" + "".join(str(i + 1) for i in key)


def run(name: str, d: int, n: int, noise: float, seed: int, kw: dict[str, Any]) -> dict[str, Any]:
    fn, truth, relevant = FUNCTIONS[name]
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    if name.endswith("+categorical"):
        X[:, -1] = ((X[:, -1] * 3).astype(int) + 0.5) / 3
    y = fn(X)
    if noise:
        y = y + noise * rng.normal(size=n)
    names = [f"x{i + 1}" for i in range(d)]
    start = time.process_time()
    res = decompose(X, y, names=names, seed=seed, pairs=True, **kw)
    cpu = time.process_time() - start
    got: dict[str, Any] = {label(k): res.importance(*(names[i] for i in k)) for k in truth}
    return {
        "value": {k: e.importance for k, e in got.items()},
        "std": {k: e.std for k, e in got.items()},
        "irrelevant": max(
            (res.importance(names[i]).importance for i in range(relevant, d)), default=np.nan
        ),
        "fit_r2": res.fit_r2,
        "cpu": cpu,
    }


def summarise(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    truth = {label(k): v for k, v in FUNCTIONS[name][1].items()}
    med = {k: float(np.median([r["value"][k] for r in rows])) for k in truth}
    top = max(truth, key=lambda k: truth[k])
    return {
        "cells": {
            k: f"{med[k]:.3f} [{min(r['value'][k] for r in rows):.3f}-"
            f"{max(r['value'][k] for r in rows):.3f}]"
            for k in truth
        },
        "median_err": max(abs(med[k] - truth[k]) for k in truth),
        "worst_err": max(abs(r["value"][k] - truth[k]) for r in rows for k in truth),
        "irrelevant": max(r["irrelevant"] for r in rows),
        "fit_r2": float(np.median([r["fit_r2"] for r in rows])),
        "spread": f"{np.std([r['value'][top] for r in rows], ddof=1):.3f}/"
        f"{np.median([r['std'][top] for r in rows]):.3f}",
        "top": top,
        "cpu": float(np.median([r["cpu"] for r in rows])),
    }


def fmt(x: float) -> str:
    return "n/a" if np.isnan(x) else f"{x:.3f}"


def compare(n_seeds: int | None, surrogates: dict[str, dict[str, Any]] = SURROGATES) -> None:
    cpu_d20 = []
    for name, group in itertools.groupby(CONFIGS, key=lambda c: c[0]):
        truth = {label(k): v for k, v in FUNCTIONS[name][1].items()}
        print(f"\n{name}: truth " + ", ".join(f"{k} {v:.4f}" for k, v in truth.items()) + "\n")
        print(
            "| D | N | noise | surrogate | "
            + " | ".join(truth)
            + " | max irrelevant | fit R² | worst \\|median err\\| | worst err | sd/std |"
        )
        print("|---|---|---|---|" + "---|" * (len(truth) + 5))
        for _, d, n, noise, seeds in group:
            for surrogate, kw in surrogates.items():
                rows = [run(name, d, n, noise, s, kw) for s in range(n_seeds or seeds)]
                if (name, d, n, noise, surrogate) == (
                    "ishigami",
                    20,
                    1000,
                    0.0,
                    "gradient_boosting (default)",
                ):
                    cpu_d20 = [r["cpu"] for r in rows]
                s = summarise(name, rows)
                print(
                    f"| {d} | {n} | {noise:g} | {surrogate} | "
                    + " | ".join(s["cells"].values())
                    + f" | {fmt(s['irrelevant'])} | {fmt(s['fit_r2'])} | {s['median_err']:.3f} "
                    f"| {s['worst_err']:.3f} | {s['top']} {s['spread']} |",
                    flush=True,
                )
    print(
        "\nCPU time of the default decompose (pairs=True, n_jobs=1) at D=20, N=1000: "
        f"median {np.median(cpu_d20):.2f} s (all: {', '.join(f'{c:.2f}' for c in cpu_d20)})"
    )


def screen(n_seeds: int | None) -> None:
    heads = [
        f"{f} D={d} N={n}" + (f" noise {e:g}" if e else "") for f, d, n, e, _ in SCREEN_CONFIGS
    ]
    print("\nworst |median - truth| (worst over seeds); max irrelevant main effect; median CPU s\n")
    print("| settings | " + " | ".join(heads) + " |")
    print("|---|" + "---|" * len(heads))
    for title, kw in SCREEN.items():
        cells = []
        for name, d, n, noise, seeds in SCREEN_CONFIGS:
            s = summarise(name, [run(name, d, n, noise, k, kw) for k in range(n_seeds or seeds)])
            irr = "" if np.isnan(s["irrelevant"]) else f"; irr {s['irrelevant']:.3f}"
            cells.append(f"{s['median_err']:.3f} ({s['worst_err']:.3f}){irr}; {s['cpu']:.1f} s")
        print(f"| {title} | " + " | ".join(cells) + " |", flush=True)


def product_form(before: str | None) -> None:
    """Largest main-effect and pair errors through the CLI (tests/product_form.py)."""
    import json
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from product_form import INSTANCES, errors, run_cli, sample

    folder = Path(tempfile.mkdtemp())
    print("| instance | D | N | before: worst main | before: worst pair | now: worst main | now: worst pair |")
    print("|---|---|---|---|---|---|---|")
    for n in (500, 2000):
        for name in INSTANCES:
            now = errors(name, run_cli(name, n, folder))
            old = ("n/a", "n/a")
            if before is not None:
                X, _ = sample(name, n)
                d = X.shape[1]
                done = subprocess.run(
                    [sys.executable, "-m", "auditlens.cli", "importance", str(folder / f"{name}_{n}.csv"),
                     "--json", "--pairs", str(d * (d - 1) // 2)],
                    capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": before},
                )
                old = tuple(f"{e:.3f}" for e in errors(name, json.loads(done.stdout)))
            print(f"| {name} | {len(INSTANCES[name])} | {n} | {old[0]} | {old[1]} | {now[0]:.3f} | {now[1]:.3f} |",
                  flush=True)


def product_form_draws(draws: int = 10, n: int = 2000) -> None:
    """Is the product-form main-effect miss the surrogate's or the draw's? Over fresh draws.

    Per draw (seeded ``[7777, i, D]``, not the tests' draws): the default surrogate's worst
    main-effect error (``decompose`` in process, main effects only), and an oracle's that knows
    each main effect's function ``h_j`` and only estimates variances from the same trials
    (sample variance of ``h_j`` over sample variance of ``y``): the error no estimator working
    from those trials can be expected to beat.
    """
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from product_form import INSTANCES, analytic

    print(f"| instance | D | surrogate: worst main, median [max] | share > 0.03 | oracle: worst main, median [max] "
          f"| surrogate's largest main, mean signed error |  (N = {n}, {draws} draws)")
    print("|---|---|---|---|---|---|")
    for name, coef in INSTANCES.items():
        a = np.array(coef)
        truth, _ = analytic(coef)
        ours, oracle, signed = [], [], []
        for i in range(draws):
            rng = np.random.default_rng([7777, i, a.size])
            X = rng.random((n, a.size))
            h = (np.abs(4 * X - 2) + a) / (1 + a) - 1
            y = np.prod(h + 1, axis=1)
            got = decompose(X, y, names=[f"x{j}" for j in range(a.size)])
            est = np.array([{e.params[0]: e.importance for e in got.main_effects}[f"x{j}"] for j in range(a.size)])
            ours.append(np.max(np.abs(est - truth)))
            oracle.append(np.max(np.abs(h.var(axis=0) / y.var() - truth)))
            top = int(np.argmax(truth))
            signed.append(est[top] - truth[top])
        print(f"| {name} | {a.size} | {np.median(ours):.3f} [{np.max(ours):.3f}] | {np.mean(np.array(ours) > 0.03):.0%} "
              f"| {np.median(oracle):.3f} [{np.max(oracle):.3f}] | {np.mean(signed):+.3f} |", flush=True)


def random_instances(count: int = 12) -> list[np.ndarray]:
    """Coefficient vectors drawn once from a fixed seed: 2 to 5 important factors (a in
    {0, 0.5, 1, 2, 3, 5}) among D in {6, 8, 10, 12, 16, 20}, the rest nearly flat (a >= 9)."""
    rng = np.random.default_rng(20261201)
    out = []
    for _ in range(count):
        d = int(rng.choice([6, 8, 10, 12, 16, 20]))
        k = int(rng.integers(2, 6))
        out.append(np.concatenate([rng.choice([0, 0.5, 1, 2, 3, 5], k), rng.choice([9, 20, 50, 99], d - k)]))
    return out


def product_form_random(before: str | None) -> None:
    """Worst main-effect (and at N = 2,000 pair) errors of ``decompose`` on random instances;
    with ``before``, the same in a process that imports auditlens from that src/."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from product_form import analytic

    def errors(a: np.ndarray, n: int, seed: int) -> tuple[float, float, float]:
        rng = np.random.default_rng([4242, seed, n])
        X = rng.random((n, a.size))
        y = np.prod((np.abs(4 * X - 2) + a) / (1 + a), axis=1)
        names = [f"x{j}" for j in range(a.size)]
        truth, pairs = analytic(tuple(a))
        got = decompose(X, y, names=names, pairs=n == 2000)
        main = max(abs(got.importance(m).importance - t) for m, t in zip(names, truth, strict=True))
        pair = max((abs(got.importance(names[j], names[k]).importance - t) for (j, k), t in pairs.items()),
                   default=float("nan")) if n == 2000 else float("nan")
        return main, pair, got.fit_r2

    if os.environ.get("_PF_RANDOM_CELLS"):  # the --before child: print the cells as JSON
        cells = [errors(a, n, i) for i, a in enumerate(random_instances()) for n in (500, 1000, 2000)]
        print(json.dumps(cells))
        return
    child = None
    if before is not None:  # at the same time as this process's cells: accuracy, not speed
        child = subprocess.Popen([sys.executable, __file__, "--product-form-random"], stdout=subprocess.PIPE, text=True,
                                 env={**os.environ, "PYTHONPATH": before, "_PF_RANDOM_CELLS": "1"})
    instances = random_instances()
    now = [errors(a, n, i) for i, a in enumerate(instances) for n in (500, 1000, 2000)]
    old = [(float("nan"),) * 3] * len(now)
    if child is not None:
        out, _ = child.communicate()
        assert child.returncode == 0
        old = json.loads(out)
    print("| instance | D | important a | N | R² | before: worst main | before: worst pair | now: worst main | now: worst pair |")
    print("|---|---|---|---|---|---|---|---|---|")
    cells = iter(zip(now, old, strict=True))
    for i, a in enumerate(instances):
        important = ", ".join(f"{x:g}" for x in a[a < 9])
        for n in (500, 1000, 2000):
            (main, pair, r2), b = next(cells)
            print(f"| r{i} | {a.size} | {important} | {n} | {r2:.3f} | {b[0]:.3f} | {b[1]:.3f} | {main:.3f} | {pair:.3f} |")


def scale_rates(repeats: int = 200) -> None:
    """Share of samples given the wrong scale, by N (tests/test_scale_inference.py's cases)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from test_scale_inference import CASES

    from auditlens.trials.scale import infer_scale

    sizes = (30, 50, 100, 150, 300, 1000, 5000)
    print("| sample | " + " | ".join(f"N={n}" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for case, (draw, integer, log) in CASES.items():
        cells = []
        for n in sizes:
            rng = np.random.default_rng([n, 13])
            wrong = sum(infer_scale(draw(rng, n), integer=integer).log != log for _ in range(repeats))
            cells.append(f"{100 * wrong / repeats:.1f}%")
        print(f"| {case} | " + " | ".join(cells) + " |", flush=True)


def null_on_noise(repeats: int = 100, n: int = 100) -> None:
    """How often the permutation null flags anything when the objective is pure noise."""
    from auditlens.fanova.chance import decompose_against_chance

    flagged, cpu = 0, []
    for rep in range(repeats):
        rng = np.random.default_rng([rep, 77])
        d = 6 + rep % 15
        X = rng.random((n, d))
        start = time.process_time()
        _, null = decompose_against_chance(X, rng.normal(size=n), names=[f"x{j}" for j in range(d)], seed=rep)
        cpu.append(time.process_time() - start)
        flagged += bool(null is not None and null.any_distinguishable)
    print(f"pure noise, N={n}, D=6..20, K=39: {flagged} of {repeats} repetitions flag anything; "
          f"median CPU per analysis {np.median(cpu):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=None, help="override every seed count")
    parser.add_argument("--screen", action="store_true", help="screen surrogate settings")
    parser.add_argument("--default-only", action="store_true", help="only the default surrogate")
    parser.add_argument("--product-form", action="store_true", help="product-form functions via the CLI")
    parser.add_argument("--before", default=None, help="src/ of an older checkout for --product-form")
    parser.add_argument("--product-form-draws", action="store_true",
                        help="product-form main effects over fresh draws, against an oracle")
    parser.add_argument("--product-form-random", action="store_true",
                        help="product-form instances drawn at random (with --before: against that src/)")
    parser.add_argument("--scale", action="store_true", help="scale inference error rates by N")
    parser.add_argument("--null", action="store_true", help="permutation null on pure noise")
    parser.add_argument("--null-trials", type=int, default=100,
                        help="trials per repetition for --null (from 200 the residual correction applies)")
    parser.add_argument("--null-repeats", type=int, default=100)
    args = parser.parse_args()
    if args.product_form:
        product_form(args.before)
    elif args.product_form_draws:
        product_form_draws()
    elif args.product_form_random:
        product_form_random(args.before)
    elif args.scale:
        scale_rates()
    elif args.null:
        null_on_noise(args.null_repeats, args.null_trials)
    elif args.screen:
        screen(args.seeds)
    else:
        keep = list(SURROGATES)[:1] if args.default_only else list(SURROGATES)
        compare(args.seeds, {k: SURROGATES[k] for k in keep})


if __name__ == "__main__":
    main()
