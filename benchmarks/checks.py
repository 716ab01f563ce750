"""How long the checks add to an audit: the catalogue on a real results.json, the extra evidence
they need (row hashes, calibration fit), and `auditlens check` on a report PDF as a process.

    python benchmarks/checks.py OUT_DIR [--repeats 5]

OUT_DIR is the output folder of `auditlens run samples/german-credit/audit.toml`. Prints a
Markdown table (medians; the machine is shared, so compare within one run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from auditlens.checks import evaluate
    from auditlens.dataset import load_dataset, shared_rows
    from auditlens.evaluate import calibration_fit
    from auditlens.results import AuditResult

    result = AuditResult.load(args.out / "results.json")
    manifest = json.loads((args.out / "manifest.json").read_text())
    data = load_dataset(ROOT / "samples/german-credit/german_credit.csv", target="creditability",
                        positive_class="bad", test_fraction=0.25, split_seed=42, protected_attributes=())
    rng = np.random.default_rng(0)
    prob = rng.uniform(0.01, 0.99, len(data.y_test))
    rows = [
        ("evaluate() all checks on results.json", _median_seconds(lambda: evaluate(result), 50 * args.repeats)),
        ("shared_rows() row hashes (750 train / 250 test)", _median_seconds(lambda: shared_rows(data), args.repeats)),
        ("calibration_fit() on 250 held-out rows", _median_seconds(lambda: calibration_fit(data.y_test, prob), args.repeats)),
        ("`auditlens check report.pdf` (process)", _median_seconds(
            lambda: subprocess.run([sys.executable, "-m", "auditlens.cli", "check", str(args.out / "report.pdf")],
                                   check=False, capture_output=True), args.repeats)),
    ]
    timings = manifest.get("timings_seconds", {})
    total = sum(timings.values())
    print("| step | median s |\n|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.4f} |")
    print(f"| manifest: stage `checks` in the run | {timings.get('checks', float('nan')):.4f} |")
    print(f"| manifest: all stages of the run | {total:.1f} |")


if __name__ == "__main__":
    main()
