"""Wall time and additivity gap of explain_model on german credit (not a test).

Run: python tests/explain/bench_explain.py
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from auditlens.explain import explain_model

CSV = Path(__file__).resolve().parents[2] / "samples" / "german-credit" / "german_credit.csv"


def main() -> None:
    df = pd.read_csv(CSV)
    y, X = df.pop("creditability"), df
    cat = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    num = [c for c in X.columns if c not in cat]
    pre = ColumnTransformer(
        [("num", StandardScaler(), num),
         ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), cat)]
    )
    models = {
        "HistGradientBoosting (100 iter)": (HistGradientBoostingClassifier(random_state=0), 300),
        "RandomForest (200 trees)": (RandomForestClassifier(200, random_state=0, n_jobs=1), 300),
        "LogisticRegression": (LogisticRegression(max_iter=2000), 300),
        "MLP (permutation, 500 evals)": (MLPClassifier((16,), max_iter=500, random_state=0), 20),
    }
    import shap  # noqa: F401  # pay the import before timing

    for name, (model, n) in models.items():
        pipe = Pipeline([("preprocess", pre), ("model", model)]).fit(X, y)
        tic = time.perf_counter()
        fx = explain_model(pipe, X, X.iloc[:n], positive_class="bad", max_background=100)
        took = time.perf_counter() - tic
        print(f"{name:34s} {n:4d} rows x 20 cols, background {fx.background_size}: "
              f"{took:6.2f} s  {fx.explainer}/{fx.output_scale}  gap {fx.additivity_gap:.2e}")


if __name__ == "__main__":
    main()
