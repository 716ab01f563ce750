"""SHAP at scale: 100,000 rows × 20 features of a tree model, one core against two (not a test).

Measures, on the same fitted HistGradientBoosting pipeline and the same 100 background rows:

- bare: one ``shap.TreeExplainer(..., feature_perturbation="interventional").shap_values`` call
  on all rows, one core (the reference cost);
- auditlens, ``explain_model(..., n_jobs=1)``: chunked, threshold recoding, additivity check;
- auditlens, ``explain_model(..., n_jobs=2)``: the same chunks across two loky processes.

Targets (issue 4): auditlens on one core ≤ 1.2 × bare; two cores ≥ 1.7 × faster than one.

Run: python benchmarks/shap_scale.py [--rows 100000] [--features 20]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--background", type=int, default=100)
    args = parser.parse_args()

    import shap
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from threadpoolctl import threadpool_limits

    from auditlens.explain import explain_model
    from auditlens.explain._shap import _draw_background, _recode_for_trees

    X, y = make_classification(
        n_samples=args.rows, n_features=args.features, n_informative=10, random_state=0
    )
    cols = [f"x{i}" for i in range(args.features)]
    frame = pd.DataFrame(X, columns=cols)
    pre = ColumnTransformer([("num", "passthrough", cols)])
    model = HistGradientBoostingClassifier(random_state=0)
    pipe = Pipeline([("preprocess", pre), ("model", model)])
    with threadpool_limits(1):
        pipe.fit(frame.iloc[:20_000], y[:20_000])
    bg, _, _ = _draw_background(frame, args.background, 0)
    x_t = pre.transform(frame)
    bg_t = pre.transform(bg)
    print(f"{args.rows:,} rows × {args.features} features, HistGradientBoosting "
          f"({model.n_iter_} iterations), background {len(bg)} rows")

    with threadpool_limits(1):
        explainer = shap.TreeExplainer(model, data=bg_t, feature_perturbation="interventional", model_output="raw")
        # the same recoding explain_model does, so the comparison is like for like
        recode = _recode_for_trees(explainer.model)
        bg_c, x_c = recode(bg_t), recode(x_t)
        explainer.data, explainer.data_missing = bg_c, np.isnan(bg_c)
        tic = time.perf_counter()
        bare = explainer.shap_values(x_c, check_additivity=False)
        t_bare = time.perf_counter() - tic
    print(f"bare shap TreeExplainer, 1 core: {t_bare:.1f} s")

    times = {}
    for n_jobs in (1, 2):
        shown = [-1]

        def progress(done: int, total: int, shown: list[int] = shown) -> None:
            pct = 100 * done // total
            if pct // 10 != shown[0] // 10:
                print(f"  n_jobs={n_jobs}: {done:,}/{total:,} rows", flush=True)
                shown[0] = pct

        with threadpool_limits(1):
            tic = time.perf_counter()
            fx = explain_model(pipe, bg, frame, positive_class=1, max_background=args.background,
                               n_jobs=n_jobs, progress=progress)
            times[n_jobs] = time.perf_counter() - tic
        same = np.allclose(fx.values, bare, rtol=0, atol=1e-12)
        print(f"auditlens explain_model, n_jobs={n_jobs}: {times[n_jobs]:.1f} s "
              f"(additivity gap {fx.additivity_gap:.1e}; equal to bare: {same})")
    print(f"overhead on one core: {times[1] / t_bare:.2f} × bare (target ≤ 1.2)")
    print(f"speed-up on two cores: {times[1] / times[2]:.2f} × (target ≥ 1.7)")


if __name__ == "__main__":
    main()
