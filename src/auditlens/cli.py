"""Command line: argument parsing, progress display and exit codes only.

Exit codes: 0 success, 2 bad input (one line on stderr, no traceback), 130 interrupted.
Heavy libraries are imported inside the commands, so ``auditlens --help`` answers at once.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from auditlens import __version__
from auditlens.errors import AuditError

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

STAGE_LABELS = {
    "tuning": "Tuning (Optuna trials)",
    "importance": "Hyperparameter importance (fANOVA)",
    "shap": "Feature effects (SHAP)",
    "html": "HTML report",
    "pdf": "PDF/A-3b report",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auditlens",
        description=(
            "Explainability and audit reports for tuned models: fANOVA hyperparameter "
            "importance, SHAP feature effects, held-out metrics, as HTML, PDF/A-3b and JSON."
        ),
        epilog="Run 'auditlens COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"auditlens {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="tune, analyse and report on the model an audit spec describes",
        description=(
            "Tune the spec's model with Optuna (study kept in OUT/study.db), fit the best "
            "configuration, compute fANOVA importance, SHAP effects and held-out metrics, and "
            "write report.html, report.pdf, results.json and manifest.json into OUT. Output "
            "appears only when every stage has succeeded."
        ),
    )
    run.add_argument("spec", type=Path, metavar="SPEC", help="audit spec (TOML); see README 'Spec reference'")
    run.add_argument("--out", type=Path, default=None, metavar="DIR", help="output folder (default: out/<model_name>)")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")

    render = commands.add_parser(
        "render",
        help="rebuild the HTML/PDF report from a results.json alone",
        description="Rebuild the report from results.json, without the model, the data or Optuna.",
    )
    render.add_argument("results", type=Path, metavar="RESULTS", help="a results.json written by 'auditlens run'")
    render.add_argument("--out", type=Path, default=None, metavar="DIR", help="output folder (default: the folder of RESULTS)")
    render.add_argument(
        "--format", default="html,pdf", metavar="FORMATS",
        help="comma-separated formats among html, pdf (default: html,pdf)",
    )
    render.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        return _render(args)
    except AuditError as exc:
        print(f"auditlens: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("auditlens: interrupted; no output was written", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    from auditlens._files import atomic_write_text
    from auditlens.pipeline import StageTimer, run_audit
    from auditlens.provenance import build_manifest, manifest_json, resolve_timestamp
    from auditlens.report import write_report
    from auditlens.report.html import template_dir
    from auditlens.spec import load_spec

    spec = load_spec(args.spec)
    out = args.out if args.out is not None else Path("out") / spec.audit.model_name
    timestamp, source = resolve_timestamp(spec.audit.timestamp)
    timer = StageTimer()
    with _staging(out) as staging, _progress(quiet=args.quiet) as progress:
        result = run_audit(
            spec, work_dir=staging, timestamp=timestamp, timestamp_source=source,
            progress=progress, timer=timer,
        )
        formats = [f for f in spec.report.formats if f in ("html", "pdf")]
        written = {}
        for fmt in ("html", "pdf"):
            if fmt in formats:
                start = time.perf_counter()
                written.update(write_report(result, staging, formats=[fmt], progress=progress))
                timer.seconds[fmt] = time.perf_counter() - start
        if not formats:
            written.update(write_report(result, staging, formats=[]))
        inputs = {"data": spec.data_path, "study": staging / "study.db"}
        if spec.source_file is not None:
            inputs["spec"] = spec.source_file
        manifest = build_manifest(
            results_json=(staging / "results.json").read_bytes(),
            inputs=inputs,
            outputs={name: path.read_bytes() for name, path in written.items()},
            template_dir=template_dir(),
            seeds=result.provenance.seeds,
            timestamp=result.provenance.timestamp,
            timestamp_source=source,
            timings=timer.seconds,
        )
        atomic_write_text(staging / "manifest.json", manifest_json(manifest))
    if not args.quiet:
        stages = " · ".join(f"{k} {v:.1f} s" for k, v in timer.seconds.items())
        print(f"auditlens: wrote {out}/ ({', '.join(sorted(os.listdir(out)))})", file=sys.stderr)
        print(f"auditlens: report {manifest['report_id']}; {stages}", file=sys.stderr)
    return EXIT_OK


def _render(args: argparse.Namespace) -> int:
    from auditlens.errors import SpecError
    from auditlens.report import write_report
    from auditlens.results import AuditResult

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    unknown = [f for f in formats if f not in ("html", "pdf")]
    if unknown or not formats:
        raise SpecError(f"--format: expected a comma-separated list of html, pdf; got {args.format!r}")
    result = AuditResult.load(args.results)
    out = args.out if args.out is not None else args.results.parent
    with _staging(out) as staging, _progress(quiet=args.quiet) as progress:
        written = write_report(result, staging, formats=formats, progress=progress)
        # results.json is re-serialised from the validated model: identical bytes for a
        # results.json written by auditlens, so rendering in place changes nothing.
        if args.out is None:
            (staging / "results.json").unlink()
            written.pop("results.json")
    if not args.quiet:
        print(f"auditlens: wrote {', '.join(str(out / n) for n in written)}", file=sys.stderr)
    return EXIT_OK


@contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A sibling folder that receives every output; moved into ``out`` only on success."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out.exists():
        for item in staging.iterdir():
            os.replace(item, out / item.name)
        staging.rmdir()
    else:
        os.replace(staging, out)


@contextmanager
def _progress(*, quiet: bool) -> Iterator[Callable[[str, int, int], None]]:
    """Progress bars on a terminal; one line per stage otherwise; nothing when quiet."""
    if quiet:
        yield lambda stage, done, total: None
        return
    if not sys.stderr.isatty():
        seen: set[str] = set()

        def plain(stage: str, done: int, total: int) -> None:
            if stage not in seen:
                seen.add(stage)
                print(f"auditlens: {STAGE_LABELS.get(stage, stage)}...", file=sys.stderr)

        yield plain
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    tasks: dict[str, int] = {}
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=False,
    ) as bar:

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGE_LABELS.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
