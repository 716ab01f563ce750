"""Time `auditlens diff` on the sample pair (samples/diff) and count the change report's pages.

    auditlens run samples/diff/old.toml --out out/diff-old
    auditlens run samples/diff/new.toml --out out/diff-new
    python benchmarks/diff_sample.py --repeats 3

Each repeat runs `auditlens diff OLD/report.pdf NEW/report.pdf` in a fresh process (both PDFs
verified, compared, HTML and PDF/A-3b rendered) and then `auditlens verify` on the result.
Prints the median and range of the wall times, the CPU time (user + system, less sensitive to
other load on the machine), the page count and the file sizes.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(args: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "auditlens.cli", *args], check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, default=ROOT / "out" / "diff-old" / "report.pdf")
    parser.add_argument("--new", type=Path, default=ROOT / "out" / "diff-new" / "report.pdf")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    import pypdf

    diff_times, verify_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "diff"
        for _ in range(args.repeats):
            diff_times.append(timed(["diff", str(args.old), str(args.new), "--out", str(out), "--quiet"]))
            verify_times.append(timed(["verify", str(out / "diff.pdf"), "--quiet"]))
        pages = len(pypdf.PdfReader(out / "diff.pdf").pages)
        sizes = {name: (out / name).stat().st_size for name in ("diff.pdf", "diff.html", "diff.json")}
    walls, cpus = [w for w, _ in diff_times], [c for _, c in diff_times]
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (the machine has {os.cpu_count()} cores)")
    print(f"auditlens diff (fresh process, {args.repeats} runs): wall median {statistics.median(walls):.1f} s "
          f"(min {min(walls):.1f}, max {max(walls):.1f}); CPU median {statistics.median(cpus):.1f} s")
    print(f"auditlens verify diff.pdf: wall median {statistics.median([w for w, _ in verify_times]):.2f} s, "
          f"CPU median {statistics.median([c for _, c in verify_times]):.2f} s")
    print(f"diff.pdf: {pages} pages; " + ", ".join(f"{k} {v / 1024:.0f} KiB" for k, v in sizes.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
