"""Report size at 100,000 explained rows: PDF, HTML, results.json and the biggest charts (not a test).

Writes a synthetic binary-classification CSV (``make_classification``, seed 0: 16 numeric
columns + 4 categorical ones, one of them the protected attribute ``region``) with enough rows
that the test split holds at least ``--rows`` rows, writes an audit spec beside it (cheap tuning:
HistGradientBoosting, 4 trials, 2-fold CV; ``explain.max_rows = --rows``, ``explain.n_jobs = 2``),
runs ``auditlens run SPEC --out DIR --quiet`` in a fresh process as a user would, then records:
sizes of report.pdf, report.html, results.json; the largest inline SVG charts of the HTML;
the PDF's page count (pypdf); the stage times from manifest.json; the process's wall time and
peak RSS. With ``--render`` it also times ``auditlens render results.json`` into a second folder
and checks that it gives the same report.html and report.pdf bytes.

Run: python benchmarks/report_scale.py [--rows 100000] [--keep DIR] [--render] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """\
[audit]
title = "Synthetic scale audit — {rows:,} explained rows"
model_name = "scale-{rows}"
model_version = "0.0.1"
owner = "auditlens benchmark"
intended_use = "Benchmark of report size only (synthetic data, make_classification seed 0)."
out_of_scope_uses = ["Any decision: the data are synthetic."]
known_limitations = ["Synthetic data."]
timestamp = "2026-11-26T12:00:00Z"

[[audit.sign_off]]
name = "A. Validator"
role = "Model validator"

[data]
path = "scale.csv"
target = "label"
positive_class = "yes"
test_fraction = {test_fraction}
split_seed = 42
protected_attributes = ["region"]

[model]
estimator = "hist_gradient_boosting"
seed = 0

[tuning]
trials = {trials}
metric = "roc_auc"
cv_folds = 2
sampler_seed = 0

[tuning.space.learning_rate]
type = "float"
low = 0.05
high = 0.5
log = true

[tuning.space.max_iter]
type = "int"
low = 20
high = 60

[tuning.space.max_leaf_nodes]
type = "int"
low = 4
high = 31
log = true

[importance]
surrogate = "gradient_boosting"
top_pairs = 5
seed = 0

[explain]
background_size = 100
max_rows = {rows}
decisions_to_review = 5
dependence_plots = 4
n_jobs = 2
seed = 0

[groups]
bootstrap = 200
seed = 0

[review]
strategy = "highest_risk"
limit = 5

[report]
formats = ["html", "pdf", "json"]
"""

CATEGORIES = {
    "region": ["north", "south", "east", "west"],
    "channel": ["branch", "online", "phone"],
    "product": ["A", "B", "C", "D", "E"],
    "tier": ["basic", "plus", "premium"],
}


def write_data(folder: Path, total: int) -> Path:
    """20 columns: 16 numeric (x0..x15) + 4 categorical cut from 4 more informative ones."""
    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=total, n_features=20, n_informative=10, n_redundant=4, random_state=0
    )
    frame = pd.DataFrame(X[:, :16].round(4), columns=[f"x{i}" for i in range(16)])
    for j, (name, levels) in enumerate(CATEGORIES.items()):
        edges = np.quantile(X[:, 16 + j], np.linspace(0, 1, len(levels) + 1)[1:-1])
        frame[name] = np.asarray(levels, dtype=object)[np.searchsorted(edges, X[:, 16 + j])]
    frame["label"] = np.where(y == 1, "yes", "no")
    path = folder / "scale.csv"
    frame.to_csv(path, index=False)
    return path


def svg_sizes(html: str) -> list[tuple[int, str]]:
    out = []
    for match in re.finditer(r"<svg\b.*?</svg>", html, flags=re.DOTALL):
        svg = match.group(0)
        label = re.search(r'aria-label="([^"]*)"', svg)
        out.append((len(svg.encode("utf-8")), (label.group(1) if label else "?")[:70]))
    return sorted(out, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="explained (test) rows")
    parser.add_argument("--test-fraction", type=float, default=0.8)
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--keep", type=Path, default=None, help="work in DIR and keep it (default: a temp folder)")
    parser.add_argument("--render", action="store_true", help="also time `auditlens render` and compare bytes")
    parser.add_argument("--json", type=Path, default=None, help="write the numbers to FILE")
    args = parser.parse_args()

    tmp = None
    if args.keep is None:
        tmp = tempfile.TemporaryDirectory(prefix="auditlens-scale-")
        work = Path(tmp.name)
    else:
        work = args.keep
        work.mkdir(parents=True, exist_ok=True)
    # +1% so the stratified split's rounding never leaves the test split short of --rows.
    total = math.ceil(args.rows / args.test_fraction * 1.01)
    start = time.perf_counter()
    data = write_data(work, total)
    spec = work / "audit.toml"
    spec.write_text(SPEC.format(rows=args.rows, test_fraction=args.test_fraction, trials=args.trials))
    print(f"data: {total:,} rows × 20 features ({data.stat().st_size / 1e6:.1f} MB CSV, "
          f"{time.perf_counter() - start:.1f} s); spec {spec}", flush=True)

    out = work / "out"
    load_before = os.getloadavg()
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "auditlens.cli", "run", str(spec), "--out", str(out), "--quiet"],
        check=True,
    )
    wall = time.perf_counter() - start
    load_after = os.getloadavg()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    from pypdf import PdfReader

    manifest = json.loads((out / "manifest.json").read_text())
    results = json.loads((out / "results.json").read_text())
    html = (out / "report.html").read_text(encoding="utf-8")
    svgs = svg_sizes(html)
    record = {
        "rows_explained": results["feature_effects"]["n_explained"],
        "pdf_mb": (out / "report.pdf").stat().st_size / 1e6,
        "pages": len(PdfReader(out / "report.pdf").pages),
        "html_mb": (out / "report.html").stat().st_size / 1e6,
        "results_json_mb": (out / "results.json").stat().st_size / 1e6,
        "svg_count": len(svgs),
        "svg_total_kb": sum(s for s, _ in svgs) / 1e3,
        "largest_svgs_kb": [(round(s / 1e3, 1), label) for s, label in svgs[:5]],
        "timings_s": manifest["timings_seconds"],
        "wall_s": wall,
        "peak_rss_mb_children": peak_rss_mb,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
    }
    if args.render:
        out2 = work / "render"
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "auditlens.cli", "render", str(out / "results.json"), "--out", str(out2), "--quiet"],
            check=True,
        )
        record["render_s"] = time.perf_counter() - start
        record["render_same_bytes"] = {
            name: (out / name).read_bytes() == (out2 / name).read_bytes() for name in ("report.html", "report.pdf")
        }

    print(json.dumps(record, indent=1))
    print()
    t = record["timings_s"]
    print("| rows explained | report.pdf MB | pages | report.html MB | results.json MB | biggest SVG KB | "
          + " | ".join(t) + " | whole run s |")
    print("|---" * (7 + len(t)) + "|")
    print(f"| {record['rows_explained']:,} | {record['pdf_mb']:.2f} | {record['pages']} | {record['html_mb']:.2f} | "
          f"{record['results_json_mb']:.1f} | {svgs[0][0] / 1e3:.0f} | "
          + " | ".join(f"{v:.1f}" for v in t.values()) + f" | {wall:.0f} |")
    if args.json:
        args.json.write_text(json.dumps(record, indent=1))
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
