"""Wall time of each stage of the sample audit, and the size of what it writes.

    python benchmarks/pipeline.py [--repeats 3] [--spec samples/german-credit/audit.toml]

Runs `auditlens run` in a fresh process per repeat, reads the stage timings the manifest
records, and prints a markdown table of medians (plus `auditlens --help` latency, PDF size
and page count, and the wall time of `auditlens verify` on the last report).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=ROOT / "samples" / "german-credit" / "audit.toml")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    help_times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "auditlens.cli", "--help"], check=True, capture_output=True)
        help_times.append(time.perf_counter() - start)

    runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            out = Path(tmp) / f"run{i}"
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "auditlens.cli", "run", str(args.spec), "--out", str(out), "--quiet"],
                check=True,
            )
            total = time.perf_counter() - start
            timings = json.loads((out / "manifest.json").read_text())["timings_seconds"]
            timings["after tuning (fANOVA→PDF)"] = sum(v for k, v in timings.items() if k != "tuning")
            timings["whole run (process)"] = total
            runs.append(timings)
        import pikepdf

        with pikepdf.open(out / "report.pdf") as pdf:
            pages = len(pdf.pages)
        size = (out / "report.pdf").stat().st_size
        html_size = (out / "report.html").stat().st_size
        data = json.loads((out / "results.json").read_text())["data"]["file_name"]
        verify_times = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "auditlens.cli", "verify", str(out / "report.pdf"), "--quiet",
                 "--input", str(args.spec.parent / data), "--input", str(args.spec)],
                check=True,
            )
            verify_times.append(time.perf_counter() - start)

    print(f"| stage | median s (of {args.repeats}) | min s | max s |")
    print("|---|---|---|---|")
    for key in runs[0]:
        values = [r[key] for r in runs]
        print(f"| {key} | {statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} |")
    print()
    print(f"`auditlens --help`: median {statistics.median(help_times):.2f} s over 5 runs")
    print(f"report.pdf: {size / 1024:.0f} KiB, {pages} pages; report.html: {html_size / 1024:.0f} KiB")
    print(f"`auditlens verify report.pdf --input DATA --input SPEC`: median {statistics.median(verify_times):.2f} s over 5 runs")


if __name__ == "__main__":
    main()
