"""The SHAP and groups stages on one context: one process vs a 2-worker LocalCluster, alternated.

`benchmarks/scale.py` times whole audits, each of a newly tuned model, where one stage varies
by half between runs. This script holds everything else fixed: one model, one table, one
context; each round runs the SHAP stage (SHAP values, review, effects) and the groups stage
in this process, then on the cluster (opened and warmed once), and checks that the results
are equal. It prints each round, the medians and the ratios, and the groups bootstrap's
compute time summed over the workers (Dask's task stream).

Prepare the inputs once (the 1,000,000-row table and model of `scale.py`, a 20-trial study in
SQLite; a few minutes):

    python benchmarks/cluster_stages.py --prepare FOLDER [--rows 1000000]

then:

    python benchmarks/cluster_stages.py FOLDER/audit.toml [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402  (this folder's scale benchmark: its table, model and spec)


def prepare(folder: Path, rows: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{(folder / 'study.db').resolve()}"
    study = scale.tune(url, 20, 1, folder)["study"]
    scale.fit_model(url, str(study), folder)
    data = scale.big_table(rows, folder)
    spec = folder / "audit.toml"
    spec.write_text(scale.AUDIT_SPEC.format(
        rows=rows, data=data.name, protected=json.dumps(scale.PROTECTED), storage=url, study=study,
        explain_rows=rows // 50, cluster="",
    ).replace('formats = ["html", "pdf", "json"]', 'formats = ["json"]'))
    return spec


def measure(spec_path: Path, rounds: int) -> None:
    import distributed

    from auditlens.cluster import use_cluster
    from auditlens.spec import load_spec
    from auditlens.stages.context import build_context, heldout_outputs
    from auditlens.stages.effects import effects_summary
    from auditlens.stages.groups import groups_summary
    from auditlens.stages.review import review_decisions
    from auditlens.stages.subject import existing_subject

    spec = load_spec(spec_path)
    subject = existing_subject(spec, lambda name, fn: fn())
    outputs = heldout_outputs(subject)

    def shap_stage():  # type: ignore[no-untyped-def]
        ctx = build_context(subject, spec.explain, outputs=outputs)
        review = review_decisions(ctx, spec.review, default_limit=spec.explain.decisions_to_review)
        return ctx, effects_summary(ctx, spec.explain, review)

    def timed(fn):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        result = fn()
        return time.perf_counter() - start, result

    seconds: dict[str, list[float]] = {"shap, 1 process": [], "shap, cluster": [], "groups, 1 process": [],
                                       "groups, cluster": [], "groups, worker compute": []}
    with use_cluster("local", workers=2) as client:
        ctx, effects = shap_stage()  # warm: imports, the first scatter
        groups_summary(ctx, spec.groups, effects)
        for r in range(rounds):
            with use_cluster(None):
                t, (ctx1, fx1) = timed(shap_stage)
                seconds["shap, 1 process"].append(t)
                t, g1 = timed(lambda: groups_summary(ctx1, spec.groups, fx1))  # noqa: B023
                seconds["groups, 1 process"].append(t)
            t, (ctxc, fxc) = timed(shap_stage)
            seconds["shap, cluster"].append(t)
            with distributed.get_task_stream(client=client) as stream:
                t, gc = timed(lambda: groups_summary(ctxc, spec.groups, fxc))  # noqa: B023
            seconds["groups, cluster"].append(t)
            seconds["groups, worker compute"].append(sum(
                s["stop"] - s["start"] for task in stream.data for s in task["startstops"] if s["action"] == "compute"
            ))
            assert fx1 == fxc and g1 == gc, "the cluster's results differ"
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in seconds.items()), flush=True)
    med = {k: statistics.median(v) for k, v in seconds.items()}
    print("\n| stage | one process, s | 2-worker cluster, s | ratio |\n|---|---|---|---|")
    for stage in ("shap", "groups"):
        one, many = med[f"{stage}, 1 process"], med[f"{stage}, cluster"]
        print(f"| {stage} | {one:.1f} {_span(seconds[f'{stage}, 1 process'])} | "
              f"{many:.1f} {_span(seconds[f'{stage}, cluster'])} | **{one / many:.2f}x** |")
    print(f"\ngroups bootstrap compute summed over the workers: {med['groups, worker compute']:.1f} s (median)")


def _span(values: list[float]) -> str:
    return f"[{min(values):.1f}-{max(values):.1f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", type=Path, help="an audit spec of an existing model (from --prepare)")
    parser.add_argument("--prepare", type=Path, metavar="FOLDER", help="write the table, model and spec there")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.prepare:
        print(prepare(args.prepare, args.rows))
    elif args.spec:
        measure(args.spec, args.rounds)
    else:
        parser.error("give a SPEC or --prepare FOLDER")


if __name__ == "__main__":
    main()
