"""CPU time and peak memory of auditlens' fANOVA engine vs Optuna's FanovaImportanceEvaluator.

Data: Ishigami on the unit cube plus irrelevant uniform parameters (D = 6, 20, 50 in all),
N = 200, 1,000, 5,000 trials (seed 0); every method sees the same trial table.

Methods (each cell runs in a fresh Python process, one job, seed 0):

* ``optuna``: ``get_param_importances(study, evaluator=FanovaImportanceEvaluator(n_trees=64,
  max_depth=64, seed=0))``: fits its 64-tree forest, main effects only (per tree, in Python).
* ``gb``: ``decompose(X, y, names=...)``, the default surrogate (histogram gradient
  boosting, up to 150 stages of depth 5: 5 refits for the stage count, the cross-validated R²
  and the jackknife, then the model on all trials), main effects only (``pairs=False``) and
  with every pair (``pairs=True``).
* ``rf``: ``decompose(..., surrogate="random_forest", n_trees=64)`` (forest mean, all
  parameters per split, as Optuna's forest), mains only and with every pair.
* ``gb fit`` / ``rf fit``: the surrogate's fitting alone (the same scikit-learn fits that
  ``decompose`` makes), to show how much of each run is the decomposition.

A cell's time is the median CPU time (``time.process_time``) of its repeats, after one warm
run of a tiny problem (imports). Peak memory is the child's ``ru_maxrss`` (peak resident set,
incl. the interpreter, NumPy, scikit-learn and Optuna). Optuna's cost grows ~N² and is capped:
one repeat above 200 trials, and cells that would take longer than ``--optuna-limit`` seconds
(default 120) are stopped and shown as "> limit".

Run:  python benchmarks/fanova.py [--repeats 3] [--optuna-limit 300] [--write]
      (--write updates README.md and writes benchmarks/fanova_timing.svg)
      python benchmarks/fanova.py --d20   (accuracy: D=20, N=1,000 vs Optuna, 5 seeds)
      python benchmarks/fanova.py --command [--repeats 5]
          (whole-process CPU of `auditlens importance` on a D=20, N=1,000 trial table, with
          and without the permutation null, beside a process that reads the same table into
          an Optuna study and runs FanovaImportanceEvaluator(n_trees=64); interleaved, medians)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

DIMS = (6, 20, 50)
SIZES = (200, 1000, 5000)
METHODS = ("optuna", "gb_mains", "gb_pairs", "gb_fit", "rf_mains", "rf_pairs", "rf_fit")
HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
CHART = HERE / "fanova_timing.svg"
BEGIN, END = "<!-- fanova-benchmark:begin -->", "<!-- fanova-benchmark:end -->"


def data(d: int, n: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    X = np.random.default_rng(0).random((n, d))
    x = X[:, :3] * 2 * np.pi - np.pi
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    return X, y, [f"x{i + 1}" for i in range(d)]


def optuna_study(X: np.ndarray, y: np.ndarray, names: list[str]):  # type: ignore[no-untyped-def]
    import optuna
    from optuna.distributions import FloatDistribution

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


def _job(method: str, d: int, n: int):  # type: ignore[no-untyped-def]
    """The work of one cell, as a no-argument callable (data preparation not timed)."""
    from auditlens.fanova import decompose

    X, y, names = data(d, n)
    if method == "optuna":
        import optuna
        from optuna.importance import FanovaImportanceEvaluator, get_param_importances

        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        study = optuna_study(X, y, names)
        evaluator = FanovaImportanceEvaluator(n_trees=64, max_depth=64, seed=0)
        return lambda: get_param_importances(study, evaluator=evaluator, normalize=False)
    if method in ("gb_mains", "gb_pairs"):
        return lambda: decompose(X, y, names=names, pairs=method == "gb_pairs", seed=0)
    if method in ("rf_mains", "rf_pairs"):
        return lambda: decompose(
            X, y, names=names, surrogate="random_forest", n_trees=64,
            pairs=method == "rf_pairs", seed=0,
        )
    from auditlens.fanova import _boosting, _forest

    if method == "gb_fit":
        settings = {**_boosting.BOOSTING_DEFAULTS, "seed": 0}
        # as decompose: 20 trials per leaf, 1/50 of them below 1,000 trials
        settings["min_samples_leaf"] = min(settings["min_samples_leaf"], max(1, n // 50))
        return lambda: _boosting._fit_boosting(X, y, settings, 1)
    if method == "rf_fit":
        settings = {
            **_forest.FOREST_DEFAULTS, "min_samples_split": 2, "seed": 0,
            "criterion": "squared_error",
        }
        return lambda: _forest._fit_forest(X, y, settings, 1)
    raise ValueError(method)


def run_cell(method: str, d: int, n: int, repeats: int) -> None:
    """Child process: time one cell, print JSON with the CPU times and the peak RSS."""
    import resource

    _job(method, 3, 60)()  # warm imports and first-call costs
    job = _job(method, d, n)
    times = []
    for _ in range(repeats):
        start = time.process_time()
        job()
        times.append(time.process_time() - start)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"cpu": times, "rss_mb": rss_mb}))


def measure(method: str, d: int, n: int, repeats: int, limit: float | None) -> dict:
    cmd = [sys.executable, __file__, "--cell", method, str(d), str(n), str(repeats)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

    def cap() -> None:  # a CPU-time limit: what is measured, whatever else runs
        import resource

        if limit is not None:
            # + 15 s for the interpreter, imports, the warm-up run and building the study
            resource.setrlimit(resource.RLIMIT_CPU, (int(limit) + 15, int(limit) + 20))

    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, env=env, preexec_fn=cap, check=False,
            timeout=None if limit is None else 4 * limit + 120,
        )
    except subprocess.TimeoutExpired:
        return {"cpu": None, "rss_mb": None, "limit": limit}
    if done.returncode != 0:
        if limit is not None and done.returncode < 0:  # SIGXCPU / SIGKILL at the limit
            return {"cpu": None, "rss_mb": None, "limit": limit}
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr}")
    out = done.stdout
    res = json.loads(out.strip().splitlines()[-1])
    res["median"] = float(np.median(res["cpu"]))
    return res


def fmt(res: dict) -> str:
    if res.get("median") is None:
        return f"> {res['limit']:.0f} s (stopped)"
    return f"{res['median']:.2f} s"


def chart(results: dict, path: Path) -> None:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "auditlens-fanova-benchmark"
    labels = {
        "optuna": "Optuna FanovaImportanceEvaluator (mains)",
        "gb_mains": "auditlens default (boosting), mains",
        "gb_pairs": "auditlens default, mains + all pairs",
        "rf_mains": "auditlens random forest, mains",
        "rf_pairs": "auditlens random forest, mains + all pairs",
    }
    styles = {"optuna": "k-o", "gb_mains": "C0-s", "gb_pairs": "C0--s", "rf_mains": "C1-^",
              "rf_pairs": "C1--^"}
    fig, axes = plt.subplots(1, len(DIMS), figsize=(12, 4), sharey=True, squeeze=False)
    axes = axes[0]
    for ax, d in zip(axes, DIMS, strict=True):
        for method, label in labels.items():
            ns, ts = [], []
            for n in SIZES:
                res = results.get(f"{method} {d} {n}")
                if res and res.get("median") is not None:
                    ns.append(n)
                    ts.append(res["median"])
            if ns:
                ax.plot(ns, ts, styles[method], label=label)
            stopped = [n for n in SIZES if (r := results.get(f"{method} {d} {n}")) and
                       r.get("median") is None]
            for n in stopped:
                lim = results[f"{method} {d} {n}"]["limit"]
                ax.plot([n], [lim], "ko", markerfacecolor="none")
                ax.annotate(f"Optuna > {lim:.0f} s (stopped)", (n, lim),
                            textcoords="offset points", xytext=(-110, 4), fontsize=8)
        ax.plot(SIZES, [0.02 * n / 200 for n in SIZES], ":", color="grey", label="∝ N")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(SIZES, [f"{n:,}" for n in SIZES])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_title(f"D = {d}")
        ax.set_xlabel("trials N")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("CPU seconds (median)")
    axes[-1].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def d20_vs_optuna() -> None:
    """Ishigami + 17 irrelevant parameters, N=1,000, seeds 0-4: Optuna vs the default."""
    import optuna
    from optuna.importance import FanovaImportanceEvaluator, get_param_importances

    from auditlens.fanova import decompose

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    truth = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0, "x1,x3": 0.2437}
    rows = []
    for seed in range(5):
        X = np.random.default_rng(seed).random((1000, 20))  # as tests/fanova/conftest.py
        x = X[:, :3] * 2 * np.pi - np.pi
        y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
        names = [f"x{i + 1}" for i in range(20)]
        study = optuna_study(X, y, names)
        theirs = get_param_importances(
            study, evaluator=FanovaImportanceEvaluator(seed=seed), normalize=False
        )
        res = decompose(X, y, names=names, seed=seed)
        ours = {n: res.importance(n).importance for n in ("x1", "x2", "x3")}
        ours["x1,x3"] = res.importance("x1", "x3").importance
        rows.append((seed, theirs, ours, res.fit_r2))
        print(seed, {k: round(theirs[k], 3) for k in ("x1", "x2", "x3")},
              {k: round(v, 3) for k, v in ours.items()}, flush=True)
    print("\n| index | truth | Optuna FanovaImportanceEvaluator: median [min-max] | "
          "auditlens default: median [min-max] |")
    print("|---|---|---|---|")
    for k, t in truth.items():
        def cell(vals: list[float]) -> str:
            return f"{np.median(vals):.3f} [{min(vals):.3f}-{max(vals):.3f}]"

        o = cell([r[1][k] for r in rows]) if k in rows[0][1] else "n/a (no pairs)"
        print(f"| {k} | {t:.4f} | {o} | {cell([r[2][k] for r in rows])} |")


_OPTUNA_COMMAND = """
import sys, pandas as pd, optuna
from optuna.distributions import FloatDistribution
from optuna.importance import FanovaImportanceEvaluator, get_param_importances
optuna.logging.set_verbosity(optuna.logging.WARNING)
frame = pd.read_csv(sys.argv[1]); names = [c for c in frame.columns if c != "value"]
dists = {n: FloatDistribution(float(frame[n].min()), float(frame[n].max())) for n in names}
study = optuna.create_study()
study.add_trials([optuna.trial.create_trial(params={n: float(r[n]) for n in names},
                  distributions=dists, value=float(r["value"])) for _, r in frame.iterrows()])
print(get_param_importances(study, evaluator=FanovaImportanceEvaluator(n_trees=64, seed=0)))
"""


def whole_process(repeats: int) -> None:
    """CPU (user + sys of the child) of whole processes on the same D=20, N=1,000 table."""
    import csv
    import resource
    import statistics
    import tempfile

    X, y, names = data(20, 1000)
    folder = Path(tempfile.mkdtemp())
    table = folder / "trials.csv"
    with table.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow([*names, "value"])
        w.writerows([*map(float, row), float(v)] for row, v in zip(X, y, strict=True))
    auditlens = [sys.executable, "-m", "auditlens.cli", "importance", str(table), "--json"]
    commands = {
        "auditlens importance --permutations 0": [*auditlens, "--permutations", "0"],
        "auditlens importance (null, K = 39)": auditlens,
        "Optuna FanovaImportanceEvaluator(n_trees=64)": [
            sys.executable, "-c", _OPTUNA_COMMAND, str(table)
        ],
    }
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    cpu: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(repeats):  # interleaved, so a busy moment hits every command alike
        for label, cmd in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[label].append(
                after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            )
    med = {k: statistics.median(v) for k, v in cpu.items()}
    base = med["auditlens importance --permutations 0"]
    print(f"| process (D = 20, N = 1,000; {repeats} interleaved runs) | CPU s, median [min-max] "
          "| vs auditlens without null |")
    print("|---|---|---|")
    for k, v in cpu.items():
        print(f"| {k} | {med[k]:.2f} [{min(v):.2f}-{max(v):.2f}] | {med[k] / base:.1f}x |")
    print(f"\nnull's cost: {med['auditlens importance (null, K = 39)'] - base:.2f} s CPU; "
          f"Optuna / auditlens (null off): {med['Optuna FanovaImportanceEvaluator(n_trees=64)'] / base:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--optuna-limit", type=float, default=120.0)
    parser.add_argument("--write", action="store_true", help=f"write the table into {README.name}")
    parser.add_argument("--cell", nargs=4, metavar=("METHOD", "D", "N", "REPEATS"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--dims", type=int, nargs="*", default=list(DIMS))
    parser.add_argument("--limit", type=float, default=900.0, help="stop auditlens cells after (CPU s)")
    parser.add_argument("--from-json", action="store_true", help="reuse fanova_timing.json")
    parser.add_argument("--methods", nargs="*", default=None,
                        help="measure only these methods; keep the others from fanova_timing.json")
    parser.add_argument("--cells", nargs="*", default=None, metavar="METHOD:D:N",
                        help="also re-measure these single cells (e.g. optuna:20:1000)")
    parser.add_argument("--workers", type=int, default=2, help="cells run at the same time")
    parser.add_argument("--d20", action="store_true", help="D=20 accuracy against Optuna")
    parser.add_argument("--command", action="store_true",
                        help="whole-process CPU of `auditlens importance` vs Optuna")
    args = parser.parse_args()
    if args.command:
        whole_process(args.repeats)
        return
    if args.d20:
        d20_vs_optuna()
        return
    if args.cell:
        method, d, n, repeats = args.cell
        run_cell(method, int(d), int(n), int(repeats))
        return

    import optuna
    import sklearn

    results: dict[str, dict] = {}
    cells = []
    for d in args.dims:
        for n in SIZES:
            for method in METHODS:
                if method == "optuna":
                    reps = args.repeats if n <= 200 else 1
                    limit = args.optuna_limit
                else:
                    reps = args.repeats if n <= 1000 else 1
                    limit = args.limit
                chosen = args.methods is None or method in args.methods
                if chosen or f"{method}:{d}:{n}" in (args.cells or []):
                    cells.append((method, d, n, reps, limit))
    # Slowest first; two cells at a time (CPU time per process is what is measured).
    cells.sort(key=lambda c: -(c[2] ** 2 if c[0] in ("optuna", "rf_pairs") else c[2]) * c[1])

    def one(cell: tuple) -> None:
        method, d, n, reps, limit = cell
        res = measure(method, d, n, reps, None if limit is None else limit * reps)
        if res.get("median") is None:
            res["limit"] = limit
        res["repeats"] = reps
        res["measured"] = time.strftime("%Y-%m-%d %H:%M")
        results[f"{method} {d} {n}"] = res
        print(method, d, n, json.dumps(res), flush=True)

    from concurrent.futures import ThreadPoolExecutor

    if args.from_json or args.methods is not None:
        results.update(json.loads((HERE / "fanova_timing.json").read_text()))
    if not args.from_json:
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            list(pool.map(one, cells))
        (HERE / "fanova_timing.json").write_text(json.dumps(results, indent=1) + "\n")

    lines = [
        "| D | N | Optuna (mains) | default: mains | default: mains + all pairs | "
        "default: fit alone | RF 64: mains | RF 64: mains + all pairs | RF 64: fit alone | "
        "Optuna / default mains | Optuna / RF mains | peak RSS (largest auditlens run) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for d in args.dims:
        for n in SIZES:
            row = {m: results[f"{m} {d} {n}"] for m in METHODS}

            def ratio(m: str, row: dict = row) -> str:
                o, a = row["optuna"].get("median"), row[m].get("median")
                if a is None:
                    return "n/a"
                return f"> {row['optuna']['limit'] / a:.0f}x" if o is None else f"{o / a:.0f}x"

            rss = [row[m]["rss_mb"] for m in METHODS if m != "optuna" and row[m]["rss_mb"]]
            lines.append(
                f"| {d} | {n} | {fmt(row['optuna'])} | {fmt(row['gb_mains'])} | "
                f"{fmt(row['gb_pairs'])} | {fmt(row['gb_fit'])} | {fmt(row['rf_mains'])} | "
                f"{fmt(row['rf_pairs'])} | {fmt(row['rf_fit'])} | {ratio('gb_mains')} | "
                f"{ratio('rf_mains')} | {max(rss):.0f} MB |"
            )
            print(lines[-1], flush=True)
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        cpu = f"{model}, {os.cpu_count()} logical CPUs"
    except (OSError, StopIteration):
        pass
    env = (
        f"CPU seconds (`time.process_time`), median of {args.repeats} repeats up to N = 1,000 "
        f"(1 above; Optuna: 1 above N = 200, stopped after {args.optuna_limit:.0f} s); one "
        f"process per cell, one job. Machine: {cpu}, {platform.system()}. "
        f"Python {platform.python_version()}, NumPy {np.__version__}, scikit-learn "
        f"{sklearn.__version__}, Optuna {optuna.__version__}. "
        "Produced by `python benchmarks/fanova.py --write` (raw numbers: "
        "`benchmarks/fanova_timing.json`; chart: `benchmarks/fanova_timing.svg`)."
    )
    table = "\n".join(lines)
    print("\n" + env)
    if args.write:
        chart(results, CHART)
        block = f"{BEGIN}\n{table}\n\n{env}\n\n![CPU time vs trials](fanova_timing.svg)\n{END}"
        text = README.read_text() if README.exists() else ""
        if BEGIN in text:
            text = re.sub(
                re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.DOTALL
            )
        else:
            text = text.rstrip() + "\n\n## fANOVA engine vs Optuna\n\n" + block + "\n"
        README.write_text(text)


if __name__ == "__main__":
    main()
