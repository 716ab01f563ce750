"""Beyond one process: tuning workers on PostgreSQL, and a 1,000,000-row audit on Dask (not a test).

(a) Tuning: the German credit sample spec (HistGradientBoosting, 5-fold CV) with ``--trials``
    trials in a PostgreSQL study, with 1 and with 2 worker processes (``auditlens run --storage
    URL --workers N``, results only); trials per minute from the manifest's tuning time.
(b) Audit of a big table: the German credit rows **resampled** with replacement by
    ``numpy.random.default_rng(0)`` to ``--rows`` rows, numeric columns given small Gaussian
    noise (sd = 2% of the column's sd; the data are synthetic, stated in the spec), saved as
    Parquet. The audited model is the best configuration of the 2-worker study from (a), fitted
    on the original 1,000 rows and saved with skops; the audit reads that study (``[tuning]
    storage``/``study``) and evaluates every row: predictions, metrics and group statistics
    (200 bootstrap resamples) on all rows, SHAP on ``explain.max_rows`` of them. Run once in one
    process, once with ``[explain] cluster = "local"`` (2 worker processes), and once more with
    ``workers_read_data = true`` (the workers read their rows from the Parquet file, written in
    row groups of 100,000 rows, instead of receiving them).

For each audit: wall time per stage (manifest), the process's wall time, the peak RSS of every
process in its tree (psutil, sampled every 0.2 s: the auditlens process, and for the cluster the
Dask nanny/worker/scheduler processes), report.pdf size. Prints markdown tables and writes
``--json``.

PostgreSQL: ``AUDITLENS_TEST_POSTGRES_URL`` if set, else a throw-away server started with
scripts/pg_test_server.sh (Debian's postgresql package).

Run: python benchmarks/scale.py [--trials 200] [--rows 1000000 100000] [--explain-fraction 0.1]
         [--modes single cluster reading] [--no-tuning --study NAME] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "german-credit"
SCRIPT = ROOT / "scripts" / "pg_test_server.sh"
PROTECTED = ["personal_status_and_sex", "age_in_years", "foreign_worker"]

AUDIT_SPEC = """\
[audit]
title = "German credit resampled to {rows:,} rows — scale benchmark"
model_name = "german-credit-{rows}"
model_version = "0.0.1"
owner = "auditlens benchmark"
intended_use = "Benchmark only: German credit rows resampled with replacement (seed 0) plus small noise on numeric columns."
out_of_scope_uses = ["Any decision: the rows are a synthetic resample."]
known_limitations = ["Synthetic resample of 1,000 rows: repeated applicants."]
timestamp = "2026-12-01T12:00:00Z"

[[audit.sign_off]]
name = "A. Validator"
role = "Model validator"

[data]
path = "{data}"
target = "creditability"
positive_class = "bad"
protected_attributes = {protected}

[model]
path = "model.skops"

[tuning]
storage = "{storage}"
study = "{study}"

[explain]
max_rows = {explain_rows}
{cluster}
[groups]
bins = {{ age_in_years = [25, 35, 50] }}
bootstrap = 200
seed = 0

[report]
formats = ["html", "pdf", "json"]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PeakMemory:
    """Peak RSS of every process in a tree, sampled in a thread (psutil)."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.peaks: dict[int, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _label(self, proc) -> str:  # type: ignore[no-untyped-def]
        cmd = " ".join(proc.cmdline())
        if proc.pid == self.root.pid:
            return "auditlens"
        for key in ("nanny", "worker", "scheduler", "resource_tracker", "spawn_main"):
            if key in cmd:
                return {"spawn_main": "worker process"}.get(key, key)
        return cmd[:40]

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for p in procs:
                try:
                    rss = p.memory_info().rss
                    label = self.peaks.get(p.pid, (None, 0))[0] or self._label(p)
                except psutil.Error:
                    continue
                if rss > self.peaks.get(p.pid, ("", 0))[1]:
                    self.peaks[p.pid] = (label, rss)
            time.sleep(0.2)

    def stop(self) -> list[tuple[str, float]]:
        self._stop.set()
        self._thread.join()
        # compilers and other helpers that live a moment (under 20 MB) are left out
        return sorted(((label, rss / 2**20) for label, rss in self.peaks.values() if rss > 20 * 2**20),
                      key=lambda t: -t[1])


def _run(cmd: list[str], cwd: Path) -> tuple[float, list[tuple[str, float]], str]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stderr=subprocess.PIPE, text=True)
    memory = PeakMemory(proc.pid)
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    peaks = memory.stop()
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err}")
    return wall, peaks, err


def tune(url: str, trials: int, workers: int, folder: Path) -> dict[str, object]:
    """(a) one tuning run: the sample spec, `trials` trials, `workers` processes, results only."""
    text = (SAMPLE / "audit.toml").read_text()
    text = text.replace('path = "german_credit.csv"', f'path = "{(SAMPLE / "german_credit.csv").as_posix()}"')
    name = f"scale-tune-{workers}w-{os.getpid()}"
    text = re.sub(r'(?m)^model_name = .*$', f'model_name = "{name}"', text)
    text = re.sub(r"(?m)^trials = .*$", f"trials = {trials}", text)
    text = re.sub(r"(?m)^formats = .*$", 'formats = ["json"]', text)
    spec = folder / f"tune-{workers}.toml"
    spec.write_text(text)
    out = folder / f"tune-{workers}"
    wall, peaks, _ = _run([sys.executable, "-m", "auditlens.cli", "run", str(spec), "--out", str(out), "--quiet",
                           "--storage", url, "--workers", str(workers)], folder)
    manifest = json.loads((out / "manifest.json").read_text())
    result = json.loads((out / "results.json").read_text())
    seconds = manifest["timings_seconds"]["tuning"]
    return {
        "workers": workers, "study": name, "trials": result["tuning"]["n_trials"],
        "complete": result["tuning"]["n_complete"], "workers_recorded": result["tuning"]["workers"],
        "tuning_s": seconds, "trials_per_minute": 60 * result["tuning"]["n_trials"] / seconds,
        "whole_run_s": wall, "peak_rss_mb": peaks,
    }


def big_table(rows: int, folder: Path) -> Path:
    """German credit resampled to `rows` rows (seed 0), numeric columns with 2%-sd noise."""
    import numpy as np
    import pandas as pd

    frame = pd.read_csv(SAMPLE / "german_credit.csv")
    rng = np.random.default_rng(0)
    big = frame.iloc[rng.integers(0, len(frame), size=rows)].reset_index(drop=True)
    for column in big.columns:
        if pd.api.types.is_numeric_dtype(big[column]):
            sd = float(frame[column].std())
            big[column] = big[column].astype(np.float64) + rng.normal(0.0, 0.02 * sd, size=rows)
    path = folder / f"german-credit-{rows}.parquet"
    big.to_parquet(path, index=False, row_group_size=100_000)  # partitions workers can read alone
    return path


def fit_model(url: str, study: str, folder: Path) -> Path:
    """The study's best configuration fitted on the original 1,000 rows (floats, like the big table)."""
    import numpy as np
    import optuna
    import pandas as pd
    import skops.io

    from auditlens.models import build_pipeline

    frame = pd.read_csv(SAMPLE / "german_credit.csv")
    y = frame.pop("creditability")
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    frame[numeric] = frame[numeric].astype(np.float64)
    categorical = [c for c in frame.columns if c not in numeric]
    best = optuna.load_study(study_name=study, storage=url).best_params
    model = build_pipeline("hist_gradient_boosting", numeric=numeric, categorical=categorical, params=best, seed=0)
    model.fit(frame, y)
    path = folder / "model.skops"
    skops.io.dump(model, path)
    return path


MODES = {
    "single": "",
    "cluster": 'cluster = "local"\ncluster_workers = 2\n',
    "reading": 'cluster = "local"\ncluster_workers = 2\nworkers_read_data = true\n',
}


def audit(rows: int, data: Path, url: str, study: str, mode: str, explain_rows: int, folder: Path) -> dict[str, object]:
    """(b) one audit of the big table: in one process ("single"), on a 2-worker LocalCluster
    ("cluster"), or on it with the workers reading their rows from the Parquet file ("reading")."""
    tag = f"{rows}-{mode}"
    spec = folder / f"audit-{tag}.toml"
    spec.write_text(AUDIT_SPEC.format(
        rows=rows, data=data.name, protected=json.dumps(PROTECTED), storage=url, study=study,
        explain_rows=explain_rows, cluster=MODES[mode],
    ))
    out = folder / f"audit-{tag}"
    wall, peaks, _ = _run([sys.executable, "-m", "auditlens.cli", "run", str(spec), "--out", str(out), "--quiet"], folder)
    manifest = json.loads((out / "manifest.json").read_text())
    return {
        "rows": rows, "explained": explain_rows, "mode": mode, "stages_s": manifest["timings_seconds"],
        "whole_run_s": wall, "peak_rss_mb": peaks, "pdf_mb": (out / "report.pdf").stat().st_size / 2**20,
        "results_sha256": _results_digest(out / "results.json"),
    }


def _results_digest(path: Path) -> str:
    """sha256 of results.json without the spec's hash (the cluster run's spec has one more line)."""
    import hashlib

    result = json.loads(path.read_text())
    result["provenance"]["inputs"] = [i for i in result["provenance"]["inputs"] if i["role"] != "spec"]
    return hashlib.sha256(json.dumps(result, sort_keys=True).encode()).hexdigest()


def _postgres(folder: Path) -> tuple[str, Path | None]:
    url = os.environ.get("AUDITLENS_TEST_POSTGRES_URL")
    if url:
        return url, None
    pg = Path(tempfile.mkdtemp(prefix="auditlens-bench-pg-"))
    done = subprocess.run(["bash", str(SCRIPT), "start", str(pg), str(_free_port())], capture_output=True, text=True, check=True)
    return done.stdout.strip(), pg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--rows", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--explain-fraction", type=float, default=0.1, help="explain.max_rows as a share of the rows")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="tuning runs (the last one's study is audited)")
    parser.add_argument("--study", default=None, help="audit this existing study instead of tuning (with --no-tuning)")
    parser.add_argument("--no-tuning", action="store_true")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES), help="audits to run per size")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    load = os.getloadavg()
    record: dict[str, object] = {"load_before": load, "tuning": [], "audits": []}
    print(f"load average before: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="auditlens-scale-") as tmp:
        folder = Path(tmp)
        url, pg = _postgres(folder)
        try:
            for workers in ([] if args.no_tuning else args.workers):
                row = tune(url, args.trials, workers, folder)
                record["tuning"].append(row)  # type: ignore[union-attr]
                print(json.dumps(row), flush=True)
                if args.json:  # after every run, so a long benchmark keeps what it measured
                    args.json.write_text(json.dumps(record, indent=1))
            study = args.study or (record["tuning"][-1]["study"] if record["tuning"] else None)  # type: ignore[index]
            if args.rows:
                fit_model(url, str(study), folder)
            for rows in args.rows:
                data = big_table(rows, folder)
                for mode in args.modes:
                    row = audit(rows, data, url, str(study), mode, int(rows * args.explain_fraction), folder)
                    record["audits"].append(row)  # type: ignore[union-attr]
                    print(json.dumps(row), flush=True)
                    if args.json:
                        args.json.write_text(json.dumps(record, indent=1))
        finally:
            if pg is not None:
                subprocess.run(["bash", str(SCRIPT), "stop", str(pg)], capture_output=True, check=False)
    record["load_after"] = os.getloadavg()
    print(f"load average after: {record['load_after']}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
