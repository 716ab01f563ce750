"""Command line: argument parsing, progress display and exit codes only.

Exit codes: 0 success, 1 verification failed (``verify``, or a report given to ``diff``: one
line per mismatch) or an unexpected error (one line pointing to ``--debug``), 2 bad input (one
line on stderr, no traceback), 3 a finding at or above ``--fail-on`` (``run``, ``analyze``,
``check``; the report is still written), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
``--debug`` prints the
traceback of any error as well.
Heavy libraries are imported inside the commands, so ``auditlens --help`` answers at once.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditlens import __version__, interrupts
from auditlens.errors import AuditError

if TYPE_CHECKING:
    from auditlens.results import Finding
    from auditlens.spec import AuditSpec

EXIT_OK = 0
EXIT_MISMATCH = 1
EXIT_BAD_INPUT = 2
EXIT_FINDINGS = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process killed by it

# The files a run or render publishes into its folder. Publishing replaces all of them, so a
# folder never mixes this run's results.json with an earlier run's report.pdf.
OUTPUT_NAMES = ("results.json", "report.html", "report.pdf", "manifest.json", "study.db")
DIFF_OUTPUT_NAMES = ("diff.json", "diff.html", "diff.pdf", "manifest.json")

STAGE_LABELS = {
    "tuning": "Tuning (Optuna trials)",
    "trials": "Reading the tuning run",
    "importance": "Hyperparameter importance (fANOVA)",
    "predict": "Held-out predictions",
    "shap": "Feature effects (SHAP)",
    "html": "HTML report",
    "pdf": "PDF/A-3b report",
}


# The one place fields are spelled for the user: library errors name a spec field
# ("data.target") or, from the trial sources, a neutral name ("objective"); each command
# shows them as its user wrote them. Mentions of other settings are spelled alike.
_TRIAL_SOURCE_FIELDS = ("trials", "objective", "direction", "storage", "study", "space")
FIELD_NAMES: dict[str, dict[str, str]] = {
    "run": {
        **{name: f"tuning.{name}" for name in _TRIAL_SOURCE_FIELDS},
        "trials": "tuning.results",
        "source": "tuning",
    },
    "analyze": {
        **{name: f"--{name}" for name in _TRIAL_SOURCE_FIELDS},
        "source": "--trials",
        "data": "--data",
        "data.path": "--data",
        "data.target": "--target",
        "data.positive_class": "--positive-class",
        "model.task": "--task",
        "model.path": "--model",
        "model.trusted_types": "--trusted-type",
        "model.allow_pickle = true": "--allow-pickle",
        "in model.trusted_types": "with --trusted-type",
        **{f"tuning.{name}": f"--{name}" for name in _TRIAL_SOURCE_FIELDS},
        "tuning.results": "--trials",
        "tuning": "--trials",
    },
    "importance": {
        "trials": "TRIALS",
        "objective": "--objective",
        "direction": "--direction",
        "storage": "--storage",
        "space": "--space",
    },
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
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    added = [_add_run(commands), _add_worker(commands), _add_render(commands), _add_verify(commands), _add_sign(commands), _add_analyze(commands), _add_check(commands), _add_importance(commands), _add_diff(commands)]
    for command in added:
        # Also after the command; SUPPRESS keeps `auditlens --debug run` from being reset.
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    return parser


def _add_run(commands: Any) -> argparse.ArgumentParser:
    """The `run` command and its options."""
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
    run.add_argument("--templates", type=Path, default=None, metavar="DIR", help=TEMPLATES_HELP)
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _add_fail_on(run)
    run.add_argument("--storage", default=None, metavar="URL",
                     help="keep the study in this database (e.g. postgresql://user@host/db) instead of OUT/study.db; "
                          "overrides [tuning] storage")
    run.add_argument("--workers", type=int, default=None, metavar="N",
                     help="tuning processes on this machine (N > 1 needs a storage); overrides [tuning] workers")
    return run

def _add_worker(commands: Any) -> argparse.ArgumentParser:
    """The `tune-worker` command and its options."""
    worker = commands.add_parser(
        "tune-worker",
        help="join a spec's tuning study in a shared database as one more worker",
        description=(
            "Run trials of the spec's study in the database at --storage until the study has "
            "[tuning] trials finished trials, then exit. Start any number, on any machine with the "
            "spec and its data; 'auditlens run SPEC --storage URL' audits the study when they are done."
        ),
    )
    worker.add_argument("spec", type=Path, metavar="SPEC", help="audit spec (TOML) of the tuning")
    worker.add_argument("--storage", default=None, metavar="URL", help="the shared study database (default: [tuning] storage)")
    worker.add_argument("--worker", type=int, default=None, metavar="K",
                        help="this worker's number (seeds its sampler with sampler_seed + K; default: random)")
    return worker

def _add_render(commands: Any) -> argparse.ArgumentParser:
    """The `render` command and its options."""
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
    render.add_argument("--templates", type=Path, default=None, metavar="DIR", help=TEMPLATES_HELP)
    render.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return render

def _add_verify(commands: Any) -> argparse.ArgumentParser:
    """The `verify` command and its options."""
    verify = commands.add_parser(
        "verify",
        help="check a report PDF against its embedded evidence and the input files",
        description=(
            "Check that the results.json, trials.csv and manifest.json embedded in REPORT agree "
            "with each other and with the report id on its pages; that each --input file matches "
            "the input of that name recorded in the manifest; and that a digital signature, if "
            "present, is intact and covers the whole file. Exit 0 if everything matches, 1 if "
            "anything does not (one line per mismatch), 2 if REPORT or a file cannot be read."
        ),
    )
    verify.add_argument("report", type=Path, metavar="REPORT", help="a report.pdf written by auditlens")
    verify.add_argument("--input", type=Path, action="append", default=[], metavar="FILE",
                        help="an input file (data, spec) to compare with the manifest; repeatable")
    verify.add_argument("--templates", type=Path, default=None, metavar="DIR",
                        help="the branding folder the report was rendered with, to compare")
    verify.add_argument("--trust", type=Path, action="append", default=[], metavar="CERT",
                        help="a certificate (PEM/DER) the signer must chain to; repeatable")
    verify.add_argument("--quiet", action="store_true", help="print only mismatches")
    return verify

def _add_sign(commands: Any) -> argparse.ArgumentParser:
    """The `sign` command and its options."""
    sign = commands.add_parser(
        "sign",
        help="sign a report PDF with a PKCS#12 key (needs the [sign] extra)",
        description=(
            "Add an invisible PAdES signature (SHA-256) to REPORT as an incremental update, so "
            "the signature covers the pages and the embedded evidence and the file stays "
            "PDF/A-3b. The report is verified first; nothing is written if it does not verify. "
            "Needs pyHanko: pip install 'auditlens[sign]'."
        ),
    )
    sign.add_argument("report", type=Path, metavar="REPORT", help="a report.pdf written by auditlens")
    sign.add_argument("--key", type=Path, required=True, metavar="KEY.p12", help="PKCS#12 file with the private key and certificate (RSA)")
    sign.add_argument("--passphrase-env", default=None, metavar="VAR", help="environment variable holding the key's passphrase")
    sign.add_argument("--out", type=Path, default=None, metavar="FILE", help="signed PDF (default: sign REPORT in place)")
    sign.add_argument("--reason", default=None, metavar="TEXT", help="reason recorded in the signature, e.g. 'Reviewed and approved'")
    sign.add_argument("--location", default=None, metavar="TEXT", help="location recorded in the signature")
    sign.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return sign

def _add_analyze(commands: Any) -> argparse.ArgumentParser:
    """The `analyze` command and its options."""
    analyze = commands.add_parser(
        "analyze",
        help="audit an existing model file and tuning run, without a spec",
        description=(
            "Audit a fitted model (skops file; pickle/joblib only with --allow-pickle) and the "
            "tuning run that produced it (an Optuna study, a scikit-learn cv_results_ CSV or a "
            "trial table) on held-out data: the same report as 'run', without re-tuning. For "
            "the full report (owner, intended use, groups, review) write a spec with "
            "[model] path and [tuning] results or storage/study, and use 'auditlens run'."
        ),
    )
    analyze.add_argument("--trials", type=Path, default=None, metavar="FILE",
                         help="trial table or scikit-learn cv_results_ (.csv, .parquet, .json, .jsonl)")
    analyze.add_argument("--storage", default=None, metavar="URL", help="Optuna storage URL, e.g. sqlite:///study.db")
    analyze.add_argument("--study", default=None, metavar="NAME", help="Optuna study name (with --storage)")
    analyze.add_argument("--model", type=Path, required=True, metavar="FILE", help="fitted classifier or Pipeline (.skops; .pkl/.joblib with --allow-pickle)")
    analyze.add_argument("--data", type=Path, required=True, metavar="FILE", help="held-out data (.csv, .parquet) with the model's feature columns and the target")
    analyze.add_argument("--target", required=True, metavar="COL", help="label column in --data")
    analyze.add_argument("--positive-class", default=None, metavar="LABEL", help="binary model: class whose probability is explained (default: the model's classes_[1])")
    analyze.add_argument("--task", choices=("binary", "multiclass", "regression"), default=None,
                         help="the kind of model (default: what the model file says); a contradiction with the model is an error")
    analyze.add_argument("--objective", default=None, metavar="COL",
                         help="objective column, scikit-learn scorer name, or Optuna objective index/name")
    analyze.add_argument("--direction", choices=("minimize", "maximize"), default=None, help="which objective values are better (default: maximize; an Optuna study knows its own)")
    analyze.add_argument("--space", type=Path, default=None, metavar="SPACE.toml", help="override inferred parameter kinds/bounds of a trial file")
    analyze.add_argument("--trusted-type", action="append", default=[], metavar="TYPE",
                         help="a type in the skops file to trust beyond the scikit-learn allowlist (repeatable; review it first)")
    analyze.add_argument("--allow-pickle", action="store_true", help="load a .pkl/.joblib model (runs code from the file: only for files you trust)")
    analyze.add_argument("--out", type=Path, default=None, metavar="DIR", help="output folder (default: out/<model file name>)")
    analyze.add_argument("--templates", type=Path, default=None, metavar="DIR", help=TEMPLATES_HELP)
    analyze.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _add_fail_on(analyze)
    return analyze

def _add_check(commands: Any) -> argparse.ArgumentParser:
    """The `check` command and its options."""
    check = commands.add_parser(
        "check",
        help="re-evaluate a report's findings from its embedded evidence (a release gate)",
        description=(
            "Re-run the checks on the results.json embedded in REPORT (or on a results.json), "
            "without the model or the data, and print the findings, most severe first. Without "
            "--checks the settings recorded in the report are used, so the findings are the "
            "report's own; --checks FILE.toml replaces them with a policy of your own ([checks] "
            "table as in the spec). Exit 0, or 3 when a finding at or above --fail-on exists, "
            "2 if REPORT or FILE cannot be read."
        ),
    )
    check.add_argument("report", type=Path, metavar="REPORT", help="a report.pdf or results.json written by auditlens")
    check.add_argument("--checks", type=Path, default=None, metavar="FILE.toml",
                       help="check settings to apply instead of the report's own ([checks] table)")
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    _add_fail_on(check)
    return check

def _add_importance(commands: Any) -> argparse.ArgumentParser:
    """The `importance` command and its options."""
    importance = commands.add_parser(
        "importance",
        help="fANOVA hyperparameter importance of any tuning run (trial table or Optuna study)",
        description=(
            "fANOVA importance of each hyperparameter and each pair over a tuning run: a CSV, "
            "Parquet or JSON trial table (one column per parameter, one objective column; "
            "string columns are categorical; kinds, bounds and log scale inferred, overridable "
            "with --space), or an Optuna study (--storage URL --study NAME)."
        ),
    )
    importance.add_argument("trials", type=Path, nargs="?", default=None, metavar="TRIALS", help="trial table (.csv, .parquet, .json)")
    importance.add_argument("--storage", default=None, metavar="URL", help="Optuna storage URL, e.g. sqlite:///study.db")
    importance.add_argument("--study", default=None, metavar="NAME", help="Optuna study name (with --storage)")
    importance.add_argument("--objective", default=None, metavar="COL", help="objective column (default: value, objective, score or loss)")
    importance.add_argument("--direction", choices=("minimize", "maximize"), default=None, help="which objective values are better (default: maximize; an Optuna study knows its own)")
    importance.add_argument("--space", type=Path, default=None, metavar="SPACE.toml", help="override inferred parameter kinds/bounds ([name] type/low/high/log or choices)")
    importance.add_argument("--pairs", type=int, default=10, metavar="K", help="show the top K pairwise interactions (default 10; 0 for none)")
    importance.add_argument("--cutoff", type=float, default=None, metavar="Q", help="importance inside the good region only: clip the objective at the quantile of the best Q (0 < Q < 1) of the trials, as fanova's cutoffs")
    importance.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the surrogate (default 0)")
    importance.add_argument("--surrogate", choices=("gradient_boosting", "random_forest"), default="gradient_boosting", help="surrogate model whose variance is decomposed (default gradient_boosting)")
    importance.add_argument("--permutations", type=int, default=39, metavar="K", help="refit on K seeded permutations of the objective to flag importances distinguishable from chance (default 39; 0 skips it)")
    importance.add_argument("--json", action="store_true", help="print the result as JSON")
    return importance

def _add_diff(commands: Any) -> argparse.ArgumentParser:
    """The `diff` command and its options."""
    diff = commands.add_parser(
        "diff",
        help="what changed between two audits (report PDFs or results.json files)",
        description=(
            "Compare two audits of the same task: identity, data (population stability per "
            "column), tuning, hyperparameter importance, feature effects, held-out performance "
            "and groups, findings. OLD and NEW are report PDFs (each verified first: a report "
            "that fails verification is refused with exit 1) or results.json files. Writes "
            "diff.json, diff.html and diff.pdf (PDF/A-3b embedding both results) and "
            "manifest.json into OUT. Exit 2 if the audits are of different tasks."
        ),
    )
    diff.add_argument("old", type=Path, metavar="OLD", help="the earlier audit: report.pdf or results.json")
    diff.add_argument("new", type=Path, metavar="NEW", help="the later audit: report.pdf or results.json")
    diff.add_argument("--out", type=Path, default=Path("out/diff"), metavar="DIR", help="output folder (default: out/diff)")
    diff.add_argument("--format", default="html,pdf,json", metavar="FORMATS",
                      help="comma-separated formats among html, pdf, json (default: html,pdf,json)")
    diff.add_argument("--templates", type=Path, default=None, metavar="DIR",
                      help="branding folder with a diff.html.j2 that extends \"auditlens/diff.html.j2\" (blocks logo, extra_style)")
    diff.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return diff


def _add_fail_on(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fail-on", choices=("high", "medium", "low"), default=None, metavar="SEVERITY",
        help="exit 3 when a finding of this severity or worse exists (high, medium, low); outputs are still written",
    )


DEBUG_HELP = "on an error, print the Python traceback too (for bug reports)"


TEMPLATES_HELP = (
    "branding folder with a report.html.j2 that extends \"auditlens/report.html.j2\" "
    "(blocks logo, extra_style, extra_toc, extra_sections; sandboxed); see samples/branding"
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {"run": _run, "verify": _verify, "sign": _sign, "importance": _importance,
                "analyze": _analyze, "render": _render, "tune-worker": _tune_worker, "diff": _diff,
                "check": _check}
    with _sigterm_as_interrupt():
        try:
            try:
                return commands[args.command](args)
            except Exception:
                # A stop signal that landed in a library's cleanup can surface as another error
                # (see auditlens.interrupts); the signal is what ended the run, so report it.
                stop = interrupts.pending()
                if stop is not None:
                    raise stop from None
                raise
        except AuditError as exc:
            _traceback(args)
            print(f"auditlens: error: {exc.spelled(FIELD_NAMES.get(args.command, {}))}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except BrokenPipeError:  # `auditlens importance ... | head`: the reader left; so do we
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_MISMATCH
        except Terminated:
            print("auditlens: terminated; no output was written", file=sys.stderr)
            return EXIT_TERMINATED
        except KeyboardInterrupt:
            print("auditlens: interrupted; no output was written", file=sys.stderr)
            return EXIT_INTERRUPTED
        except Exception as exc:  # noqa: BLE001  # the boundary: one line, never a traceback unasked
            _traceback(args)
            detail = " ".join(str(exc).split())[:300]
            hint = "" if getattr(args, "debug", False) else "; run again with --debug for the traceback"
            print(f"auditlens: unexpected error: {type(exc).__name__}: {detail}{hint}", file=sys.stderr)
            return EXIT_MISMATCH


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so it unwinds exactly as Ctrl-C does.

    A KeyboardInterrupt subclass on purpose: Optuna and our staging folders already clean up
    on KeyboardInterrupt, and they need not know a second signal.
    """


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises Terminated, Ctrl-C KeyboardInterrupt; both are also remembered
    (:mod:`auditlens.interrupts`), so one raised inside a finaliser and lost still stops the run."""

    def terminate(signum: int, frame: object) -> None:
        raise interrupts.remember(Terminated())

    def interrupt(signum: int, frame: object) -> None:
        raise interrupts.remember(KeyboardInterrupt())

    interrupts.clear()
    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    # A signal that lands in a finaliser is printed by Python as "Exception ignored ... Traceback";
    # the run stops on it at its next safe point anyway, so that print is noise (and a traceback).
    previous_hook = sys.unraisablehook

    def quiet_when_remembered(unraisable: Any) -> None:
        if not interrupts.is_remembered(unraisable.exc_value):
            previous_hook(unraisable)

    sys.unraisablehook = quiet_when_remembered
    # Only where Ctrl-C is not ignored (a shell starts background jobs with SIGINT ignored).
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is signal.default_int_handler:
        signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        signal.signal(signal.SIGTERM, previous)
        if previous_int is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous_int)
        interrupts.clear()


def _traceback(args: argparse.Namespace) -> None:
    if getattr(args, "debug", False):
        import traceback

        traceback.print_exc()


def _run(args: argparse.Namespace) -> int:
    from auditlens.spec import load_spec

    overrides = {k: v for k, v in (("storage", args.storage), ("workers", args.workers)) if v is not None}
    spec = load_spec(args.spec, tuning=overrides)
    return _audit(spec, out=args.out, templates_dir=args.templates, quiet=args.quiet, fail_on=args.fail_on)


def _tune_worker(args: argparse.Namespace) -> int:
    import secrets

    from auditlens.errors import SpecError
    from auditlens.spec import load_spec
    from auditlens.tuning_workers import tune_worker

    spec = load_spec(args.spec, tuning={"storage": args.storage} if args.storage else None)
    if spec.existing or spec.storage_url is None:
        raise SpecError("tuning.storage: expected a tuning to run with a database URL (--storage URL); got "
                        + ("an existing run" if spec.existing else "no storage"))
    worker = args.worker if args.worker is not None else 1000 + secrets.randbelow(10**6)
    tune_worker(spec, spec.storage_url, worker=worker)
    return EXIT_OK


def _audit(
    spec: AuditSpec, *, out: Path | None, templates_dir: Path | None, quiet: bool, fail_on: str | None = None
) -> int:
    """Run the audit a spec describes and publish its outputs in ``out`` (all or nothing)."""
    from auditlens._files import atomic_write_text
    from auditlens.pipeline import StageTimer, input_files, run_audit
    from auditlens.provenance import build_manifest, manifest_json, resolve_timestamp
    from auditlens.report import render_report
    from auditlens.report.html import check_templates_dir

    from auditlens.paths import slug

    templates = check_templates_dir(templates_dir) if templates_dir is not None else None
    # The model name is user text: as a folder name it is a slug, never a path of its own.
    out = out if out is not None else Path("out") / slug(spec.audit.model_name)
    timestamp, source = resolve_timestamp(spec.audit.timestamp)
    timer = StageTimer()
    with _staging(out) as staging, _progress(quiet=quiet) as progress:
        result = run_audit(
            spec, work_dir=staging, timestamp=timestamp, timestamp_source=source,
            progress=progress, timer=timer,
        )
        formats = [f for f in spec.report.formats if f in ("html", "pdf")]
        started: dict[str, float] = {}

        def timed(stage: str, done: int, total: int) -> None:
            # render_report reports ("html", 0/1) then ("pdf", 0/1): time each stage from them.
            if done == 0:
                started[stage] = time.perf_counter()
            elif stage in started:
                timer.seconds[stage] = time.perf_counter() - started[stage]
            progress(stage, done, total)

        rendered = render_report(result, staging, formats=formats, templates=templates, progress=timed)
        inputs = input_files(spec, staging)
        outputs = [n for n in ("results.json", "report.html", "report.pdf") if (staging / n).is_file()]
        manifest = build_manifest(
            rendered.manifest,
            inputs=inputs,
            outputs={name: (staging / name).read_bytes() for name in outputs},
            embedded_sha256=_sha256(rendered.manifest_json) if "report.pdf" in outputs else None,
            timings=timer.seconds,
        )
        atomic_write_text(staging / "manifest.json", manifest_json(manifest))
        fresh = sorted(os.listdir(staging))
    if not quiet:
        stages = " · ".join(f"{k} {v:.1f} s" for k, v in timer.seconds.items())
        print(f"auditlens: wrote {out}/ ({', '.join(fresh)})", file=sys.stderr)
        print(f"auditlens: report {manifest['report_id']}; {stages}", file=sys.stderr)
    return _gate(result.findings, fail_on, quiet=quiet)


def _gate(findings: Sequence[Finding], fail_on: str | None, *, quiet: bool) -> int:
    """Print the count per severity; EXIT_FINDINGS when a finding at or above ``fail_on`` exists."""
    from auditlens.checks import at_or_above, count_by_severity

    counts = count_by_severity(findings)
    if not quiet:
        print("auditlens: findings: " + ", ".join(f"{n} {s}" for s, n in counts.items()), file=sys.stderr)
    if fail_on is None:
        return EXIT_OK
    failing = at_or_above(findings, fail_on)
    if failing:
        print(f"auditlens: {len(failing)} finding(s) at or above {fail_on} (--fail-on {fail_on}): "
              + ", ".join(sorted({f.id for f in failing})), file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    import json

    from auditlens.checks import evaluate, load_settings_file
    from auditlens.results import AuditResult

    path = args.report
    if path.suffix.lower() == ".pdf":
        from auditlens.errors import EvidenceError
        from auditlens.report.verify import embedded_files

        embedded = embedded_files(path).get("results.json")
        if not embedded:
            raise EvidenceError(f"report: {path.name} embeds no results.json; expected a report written by auditlens")
        result = AuditResult.from_json(embedded[0], source=f"{path.name}: results.json")
    else:
        result = AuditResult.load(path)
    settings = load_settings_file(args.checks) if args.checks is not None else dict(result.check_settings)
    findings = evaluate(result, settings)
    same = [f.model_dump() for f in findings] == [f.model_dump() for f in result.findings]
    if args.json:
        print(json.dumps({
            "report": path.name,
            "settings": "file " + args.checks.name if args.checks is not None else "recorded in the report",
            "findings": [f.model_dump(mode="json") for f in findings],
            "same_as_recorded": same,
        }, indent=1))
    else:
        for f in findings:
            print(f"{f.severity.upper():6} {f.id}: {f.sentence} [{f.section}]")
        if args.checks is None and not same:
            print(f"auditlens: note: the report recorded {len(result.findings)} finding(s); this version of "
                  "the checks finds the ones above", file=sys.stderr)
    return _gate(findings, args.fail_on, quiet=args.json)


def _analyze(args: argparse.Namespace) -> int:
    import tomllib

    from auditlens.errors import SpecError
    from auditlens.spec import parse_spec

    from_file = args.trials is not None
    from_study = args.storage is not None or args.study is not None
    if from_file == from_study:
        raise SpecError("analyze: expected either --trials FILE or --storage URL --study NAME; got "
                        + ("both" if from_file else "neither"))
    tuning: dict[str, object] = {}
    if from_file:
        tuning["results"] = str(args.trials.resolve())
    else:
        if args.storage is None or args.study is None:
            raise SpecError("analyze: --storage and --study go together; got only "
                            + ("--storage" if args.study is None else "--study"))
        tuning["storage"], tuning["study"] = args.storage, args.study
    if args.objective is not None:
        tuning["objective"] = int(args.objective) if args.objective.isdigit() and from_study else args.objective
    if args.direction is not None:
        tuning["direction"] = args.direction
    if args.space is not None:
        try:
            tuning["space"] = tomllib.loads(args.space.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SpecError(f"--space: file {str(args.space)!r} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"--space: {args.space.name} is not valid TOML: {exc}") from None
    from auditlens.paths import slug

    name = slug(args.model.stem, fallback="model")
    document = {
        "audit": {
            "title": f"Audit of {args.model.name}",
            "model_name": name,
            "model_version": "not stated",
            "owner": "not stated",
            "intended_use": "not stated (a quick look with 'auditlens analyze'; a spec adds owner, intended use, groups and review)",
        },
        "data": {"path": str(args.data.resolve()), "target": args.target},
        "model": {"path": str(args.model.resolve()), "trusted_types": list(args.trusted_type),
                  "allow_pickle": bool(args.allow_pickle)},
        "tuning": tuning,
    }
    if args.positive_class is not None:
        document["data"]["positive_class"] = args.positive_class
    if args.task is not None:
        document["model"]["task"] = args.task
    spec = parse_spec(document, base_dir=Path.cwd())
    return _audit(spec, out=args.out, templates_dir=args.templates, quiet=args.quiet, fail_on=args.fail_on)


def _render(args: argparse.Namespace) -> int:
    from auditlens._files import atomic_write_text
    from auditlens.errors import ResultsError, SpecError
    from auditlens.provenance import manifest_json
    from auditlens.report import render_report
    from auditlens.report.html import check_templates_dir
    from auditlens.report.rerender import mark_rerendered, render_manifest, run_manifest_beside
    from auditlens.results import AuditResult

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    unknown = [f for f in formats if f not in ("html", "pdf")]
    if unknown or not formats:
        raise SpecError(f"--format: expected a comma-separated list of html, pdf; got {args.format!r}")
    result = AuditResult.load(args.results)
    templates = check_templates_dir(args.templates) if args.templates is not None else None
    out = args.out if args.out is not None else args.results.parent
    in_place = out.resolve() == args.results.resolve().parent
    status, run_manifest = run_manifest_beside(args.results)
    if in_place and status in ("differs", "unreadable"):
        raise ResultsError(
            f"{args.results.name}: expected the results the run's manifest.json beside it describes; "
            f"{'they differ (edited after the run?)' if status == 'differs' else 'that manifest cannot be read'}"
            "; render into a new folder with --out, which records that it was made from results alone"
        )
    # In place, only the report files are replaced: results.json, the run's manifest and study stay.
    with _staging(out, replaces=() if in_place else OUTPUT_NAMES) as staging, \
            _progress(quiet=args.quiet) as progress:
        rendered = render_report(result, staging, formats=formats, templates=templates, progress=progress)
        written = dict(rendered.files)
        outputs = {name: path.read_bytes() for name, path in written.items()}
        embedded_sha = _sha256(rendered.manifest_json) if "report.pdf" in written else None
        if in_place:
            # results.json is re-serialised from the validated model: the run's own bytes.
            (staging / "results.json").unlink()
            del written["results.json"], outputs["results.json"]
        if in_place and run_manifest is not None:
            marked = mark_rerendered(run_manifest, outputs=outputs, embedded_sha256=embedded_sha)
        else:
            marked = render_manifest(rendered.manifest, outputs=outputs, embedded_sha256=embedded_sha,
                                     run_manifest=status)
        if marked is not None:
            atomic_write_text(staging / "manifest.json", manifest_json(marked))
            written["manifest.json"] = staging / "manifest.json"
    if not args.quiet:
        print(f"auditlens: wrote {', '.join(str(out / n) for n in written)}", file=sys.stderr)
        if status == "differs":
            print(f"auditlens: note: {args.results.name} differs from the run's manifest.json beside it; "
                  "the new manifest.json records that", file=sys.stderr)
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from auditlens._files import atomic_write_text
    from auditlens.diff.inputs import read_audit
    from auditlens.diff.render import render_diff
    from auditlens.errors import SpecError
    from auditlens.provenance import build_manifest, manifest_json

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    if not formats or any(f not in ("html", "pdf", "json") for f in formats):
        raise SpecError(f"--format: expected a comma-separated list of html, pdf, json; got {args.format!r}")
    start = time.perf_counter()
    sides = {role: read_audit(path, role=role.upper()) for role, path in (("old", args.old), ("new", args.new))}
    for role, audit in sides.items():
        if audit.result is None and audit.verification is not None:
            for check in audit.verification.mismatches:
                print(check.line())
            print(f"auditlens: {role.upper()} {audit.path.name} FAILED verification; refusing to compare; nothing was written",
                  file=sys.stderr)
            return EXIT_MISMATCH
    old, new = (sides[r].result for r in ("old", "new"))
    assert old is not None and new is not None
    if any((args.out / name).exists() for name in ("results.json", "report.pdf", "report.html")):
        raise SpecError(f"--out: expected a folder for the change report; {str(args.out)!r} holds an audit report "
                        "(its manifest.json would be replaced)")
    # One change report per folder: a previous diff's files that this run does not write go.
    with _staging(args.out, replaces=DIFF_OUTPUT_NAMES) as staging, _progress(quiet=args.quiet) as progress:
        rendered = render_diff(
            old, new, staging, formats=formats, templates=args.templates, progress=progress,
            inputs={role: (a.path.name, a.sha256) for role, a in sides.items()},
        )
        manifest = build_manifest(
            rendered.manifest,
            inputs={role: a.path for role, a in sides.items()},
            outputs={name: path.read_bytes() for name, path in rendered.files.items()},
            embedded_sha256=_sha256(rendered.manifest_json) if "diff.pdf" in rendered.files else None,
            timings={"diff": time.perf_counter() - start},
        )
        atomic_write_text(staging / "manifest.json", manifest_json(manifest))
    if not args.quiet:
        print(f"auditlens: wrote {args.out}/ ({', '.join(sorted([*rendered.files, 'manifest.json']))}); "
              f"change report {rendered.report_id} ({time.perf_counter() - start:.1f} s)", file=sys.stderr)
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from auditlens.report.verify import verify_pdf

    start = time.perf_counter()
    outcome = verify_pdf(args.report, inputs=args.input, templates=args.templates, trust=args.trust)
    seconds = time.perf_counter() - start
    for check in outcome.checks:
        if not args.quiet or not check.ok:
            print(check.line())
    name = args.report.name
    if outcome.ok:
        if not args.quiet:
            signed = any(c.subject.startswith("signature") and not c.note for c in outcome.checks)
            scope = "" if signed else "; unsigned: integrity against accident, not forgery"
            print(f"auditlens: verified {name}: report {outcome.report_id}, {len(outcome.checks)} checks passed "
                  f"({seconds:.2f} s{scope})")
        return EXIT_OK
    count = len(outcome.mismatches)
    print(f"auditlens: {name} FAILED verification: {count} mismatch{'es' if count != 1 else ''}", file=sys.stderr)
    return EXIT_MISMATCH


def _sign(args: argparse.Namespace) -> int:
    from auditlens.errors import EvidenceError
    from auditlens.report.sign import sign_pdf
    from auditlens.report.verify import verify_pdf

    passphrase = None
    if args.passphrase_env is not None:
        value = os.environ.get(args.passphrase_env)
        if value is None:
            raise EvidenceError(f"--passphrase-env: environment variable {args.passphrase_env!r} is not set")
        passphrase = value.encode("utf-8")
    outcome = verify_pdf(args.report)
    if not outcome.ok:
        for check in outcome.mismatches:
            print(check.line())
        print(f"auditlens: refusing to sign {args.report.name}: it does not verify; nothing was written", file=sys.stderr)
        return EXIT_MISMATCH
    signed = sign_pdf(args.report, key=args.key, passphrase=passphrase, out=args.out,
                      reason=args.reason, location=args.location)
    if not args.quiet:
        print(f"auditlens: signed {signed.path} ({signed.field_name}, by {signed.signer})", file=sys.stderr)
    return EXIT_OK


def _importance(args: argparse.Namespace) -> int:
    import json

    from auditlens.errors import SpecError
    from auditlens.importance import format_importance, open_trials, trial_importance

    if args.pairs < 0:
        raise SpecError(f"--pairs: expected an int >= 0; got {args.pairs}")
    if args.permutations < 0:
        raise SpecError(f"--permutations: expected an int >= 0; got {args.permutations}")
    table = open_trials(trials_file=args.trials, storage=args.storage, study=args.study,
                        objective=args.objective, direction=args.direction, space_file=args.space)
    report = trial_importance(
        table, pairs=args.pairs, seed=args.seed, surrogate=args.surrogate, cutoff=args.cutoff,
        permutations=args.permutations,
    )
    # JSON has no NaN: an undefined number (the std of 2 trials) is null, never a bare NaN.
    print(json.dumps(_null_if_not_finite(report), indent=1, allow_nan=False) if args.json else format_importance(report))
    return EXIT_OK


def _null_if_not_finite(value: object) -> object:
    import math

    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _null_if_not_finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_null_if_not_finite(v) for v in value]
    return value


def _sha256(data: bytes) -> str:
    from auditlens._files import sha256_bytes

    return sha256_bytes(data)


@contextmanager
def _staging(out: Path, *, replaces: Sequence[str] = OUTPUT_NAMES) -> Iterator[Path]:
    """A sibling folder that receives every output; moved into ``out`` only on success.

    ``out`` is checked first (a file, a name too long, a read-only filesystem fail here,
    before any work). On publishing, files named in ``replaces`` that this run did not write
    are removed from ``out``: the folder then holds one report, not two. On failure nothing
    is left: neither the staging folder nor parent folders it had to create.
    """
    from auditlens.paths import check_destination

    check_destination(out)
    out = out.resolve()
    created = [p for p in reversed(out.parents) if not p.exists()]
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir()
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in reversed(created):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    if out.exists():
        for name in replaces:
            if not (staging / name).exists():
                (out / name).unlink(missing_ok=True)
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
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

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
