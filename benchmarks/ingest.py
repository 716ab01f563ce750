"""Time ingesting large Optuna studies (issue 6: 10,000 trials in seconds, memory proportional).

Builds SQLite studies of 1,000, 5,000 and 10,000 trials (8 parameters: log float, float, log
int, int, two categoricals, a conditional float and a stepped int; ~2% failed, ~3% pruned,
a few running) once, cached under ``benchmarks/.cache/`` (not committed), then, for each size,
times ``open_trials(storage=..., study=...)`` in a fresh process per repeat: wall seconds and
peak memory, both the process's peak RSS growth (``resource``) and Python's traced peak
(``tracemalloc``, a separate run because tracing slows Python down).

    python benchmarks/ingest.py [--sizes 1000 5000 10000] [--repeats 3] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"

_MEASURE = r"""
import json, resource, sys, time, tracemalloc
storage, name, trace = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
import optuna, numpy, pandas  # imports are not ingestion: load them before measuring
from auditlens.trials.sources import open_trials
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if trace:
    tracemalloc.start()
start = time.perf_counter()
table = open_trials(storage=storage, study=name)
wall = time.perf_counter() - start
peak_traced = tracemalloc.get_traced_memory()[1] if trace else None
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"wall": wall, "rss_growth_kib": after - before, "rss_peak_kib": after,
                  "traced_peak": peak_traced, "n": len(table), "states": table.state_counts()}))
"""


def build_study(n_trials: int, *, rebuild: bool = False) -> str:
    """A SQLite study of ``n_trials`` trials, written in batches with ``add_trials``."""
    import numpy as np
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
    from optuna.trial import TrialState, create_trial

    CACHE.mkdir(exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")  # the studies are rebuilt on demand, never committed
    path = CACHE / f"ingest-{n_trials}.db"
    if path.exists() and not rebuild:
        return f"sqlite:///{path}"
    path.unlink(missing_ok=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = f"sqlite:///{path}"
    # Building only: no fsync per committed trial (otherwise 10,000 trials take minutes).
    from sqlalchemy import event

    rdb = optuna.storages.RDBStorage(storage)
    event.listen(rdb.engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=OFF"))
    rdb.engine.dispose()
    study = optuna.create_study(study_name="ingest", storage=rdb, direction="minimize")
    dists = {
        "learning_rate": FloatDistribution(1e-4, 1.0, log=True),
        "subsample": FloatDistribution(0.5, 1.0),
        "n_estimators": IntDistribution(10, 1000, log=True),
        "max_depth": IntDistribution(1, 12),
        "booster": CategoricalDistribution(["gbtree", "dart", "gblinear"]),
        "grow_policy": CategoricalDistribution(["depthwise", "lossguide"]),
        "max_leaves": IntDistribution(0, 256, step=4),
    }
    rate_drop = FloatDistribution(0.0, 0.5)  # conditional: only for booster == "dart"
    rng = np.random.default_rng(0)
    batch: list[optuna.trial.FrozenTrial] = []
    for i in range(n_trials):
        params = {
            "learning_rate": float(np.exp(rng.uniform(np.log(1e-4), 0.0))),
            "subsample": float(rng.uniform(0.5, 1.0)),
            "n_estimators": int(np.exp(rng.uniform(np.log(10), np.log(1000)))),
            "max_depth": int(rng.integers(1, 13)),
            "booster": str(rng.choice(["gbtree", "dart", "gblinear"])),
            "grow_policy": str(rng.choice(["depthwise", "lossguide"])),
            "max_leaves": int(rng.integers(0, 65)) * 4,
        }
        distributions = dict(dists)
        if params["booster"] == "dart":
            params["rate_drop"] = float(rng.uniform(0.0, 0.5))
            distributions["rate_drop"] = rate_drop
        u = rng.random()
        state = TrialState.FAIL if u < 0.02 else TrialState.PRUNED if u < 0.05 else TrialState.COMPLETE
        if i >= n_trials - 3:
            state = TrialState.RUNNING
        value = float(np.log(params["learning_rate"]) ** 2 / 10 + params["max_depth"] / 12 + rng.normal(0, 0.1))
        trial = create_trial(
            state=state, value=value if state == TrialState.COMPLETE else None,
            params=params, distributions=distributions,
            intermediate_values={0: value} if state == TrialState.PRUNED else None,
        )
        batch.append(trial)
        if len(batch) == 1000:
            study.add_trials(batch)
            batch = []
    study.add_trials(batch)
    return storage


def measure(storage: str, *, trace: bool) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", _MEASURE, storage, "ingest", "1" if trace else "0"],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    for n in args.sizes:
        start = time.perf_counter()
        storage = build_study(n, rebuild=args.rebuild)
        built = time.perf_counter() - start
        runs = [measure(storage, trace=False) for _ in range(args.repeats)]
        traced = measure(storage, trace=True)
        size_mb = Path(storage.removeprefix("sqlite:///")).stat().st_size / 1e6
        rows.append({
            "n": n, "db_mb": size_mb, "build_s": built,
            "wall_median": statistics.median(r["wall"] for r in runs),  # type: ignore[misc]
            "wall_min": min(r["wall"] for r in runs), "wall_max": max(r["wall"] for r in runs),  # type: ignore[type-var]
            "rss_growth_mb": statistics.median(r["rss_growth_kib"] for r in runs) / 1024,  # type: ignore[misc]
            "rss_peak_mb": statistics.median(r["rss_peak_kib"] for r in runs) / 1024,  # type: ignore[misc]
            "traced_peak_mb": traced["traced_peak"] / 1e6,  # type: ignore[operator]
            "states": runs[0]["states"],
        })
        print(json.dumps(rows[-1]), file=sys.stderr)
    print(f"| trials | SQLite file | open_trials wall, median of {args.repeats} (min–max) | peak RSS growth "
          "| peak RSS of the process | tracemalloc peak |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']:,} | {r['db_mb']:.1f} MB | {r['wall_median']:.2f} s ({r['wall_min']:.2f}–{r['wall_max']:.2f}) "
              f"| {r['rss_growth_mb']:.0f} MB | {r['rss_peak_mb']:.0f} MB | {r['traced_peak_mb']:.1f} MB |")
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        slope = 1e3 * (last["traced_peak_mb"] - first["traced_peak_mb"]) / (last["n"] - first["n"])
        fixed = first["traced_peak_mb"] - slope * first["n"] / 1e3
        print(f"\nmemory per additional trial (tracemalloc, {first['n']:,} to {last['n']:,}): {slope:.1f} kB; "
              f"fixed part (intercept): {fixed:.0f} MB")
    print("states (" + f"{rows[-1]['n']:,}" + " trials): " + json.dumps(rows[-1]["states"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
