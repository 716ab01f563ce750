"""The groups stage's bootstrap (binary task): seconds per resample, this code vs an earlier one.

Synthetic rows (not a test): ``--rows`` labels and scores rounded to 3 decimals (ties, as real
scores have), a protected attribute of 3 groups (60/30/10%), the threshold 0.5. Each round runs
``auditlens.groups._draws`` of this checkout and of ``--before SRC`` (another checkout's ``src``,
e.g. a git worktree) on the same ``--resamples`` seeds, interleaved, and checks that the two
give the same draws bit for bit. Prints the median seconds per resample and the ratio.

Run: python benchmarks/groups_bootstrap.py --before /path/to/old/src [--rows 1000000]
         [--resamples 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from auditlens import groups


def _before(src: Path):  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("groups_before", src / "auditlens" / "groups.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["groups_before"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scores", choices=("rounded", "distinct"), default="rounded",
                        help="scores rounded to 3 decimals (many ties) or all distinct (a model's probabilities)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, args.rows)
    p = np.clip(0.3 * y + 0.7 * rng.random(args.rows), 0, 1)
    p = np.round(p, 3) if args.scores == "rounded" else p
    codes = rng.choice(3, args.rows, p=[0.6, 0.3, 0.1]).astype(np.int8)
    seeds = np.random.default_rng(1).integers(0, np.iinfo(np.uint32).max, size=args.resamples, dtype=np.uint32)
    old = _before(args.before)
    times: dict[str, list[float]] = {"before": [], "now": []}
    for _ in range(args.rounds):
        results = {}
        for name, module in (("before", old), ("now", groups)):
            start = time.process_time()
            results[name] = module._draws(y, p, codes, 3, 0.5, seeds)
            times[name].append((time.process_time() - start) / args.resamples)
        assert np.array_equal(results["before"], results["now"], equal_nan=True), "the draws differ"
    before, now = (statistics.median(times[k]) for k in ("before", "now"))
    print(f"{args.rows:,} rows, 3 groups, {args.scores} scores, {args.resamples} resamples x {args.rounds} rounds; "
          "CPU s per resample (median)")
    print("| code | s per resample | ratio |\n|---|---|---|")
    print(f"| before | {before:.4f} | 1.00 |\n| now | {now:.4f} | {before / now:.1f}x faster |")
    print("draws identical bit for bit: yes")


if __name__ == "__main__":
    main()
