"""Regenerate this sample: a scikit-learn search over a credit model, its result and model file.

    python samples/sklearn-search/make_sample.py

writes, next to this script:

* ``cv_results.csv`` — ``RandomizedSearchCV.cv_results_`` as a data frame saved to CSV, the
  way most teams keep a search (60 candidates, 5-fold ROC AUC). Two parameter
  distributions are searched, one of which also sets ``clf__max_depth``, so that column is
  empty where it was not set: a conditional parameter, as in real searches over lists of grids.
* ``model.skops`` — the refitted best pipeline, saved with skops (never a pickle).
* ``holdout.csv`` — the 25% of the German credit data the search never saw (stratified,
  seed 42), on which the model is audited.

The data is ``../german-credit/german_credit.csv`` (see DATA.md there for its source and
licence). Everything is seeded: running the script again gives the same candidates, scores and
fitted model (only the fit times in cv_results.csv and the zip timestamps in model.skops change).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import skops.io as sio
from scipy.stats import loguniform, randint
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "german-credit" / "german_credit.csv"
TARGET = "creditability"


def main() -> None:
    frame = pd.read_csv(DATA)
    train, holdout = train_test_split(frame, test_size=0.25, random_state=42, stratify=frame[TARGET])
    X, y = train.drop(columns=[TARGET]), train[TARGET]
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    model = Pipeline([
        ("prep", ColumnTransformer(
            [("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
             ("num", "passthrough", numeric)],
            verbose_feature_names_out=False,
        )),
        ("clf", HistGradientBoostingClassifier(random_state=0)),
    ])
    common = {
        "clf__learning_rate": loguniform(1e-3, 1.0),
        "clf__max_iter": randint(5, 300),
        "clf__max_leaf_nodes": randint(2, 64),
        "clf__min_samples_leaf": randint(5, 100),
        "clf__l2_regularization": loguniform(1e-6, 10.0),
    }
    search = RandomizedSearchCV(
        model,
        [common, {**common, "clf__max_depth": randint(2, 8)}],
        n_iter=60,
        scoring="roc_auc",
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
        random_state=0,
        n_jobs=1,
    )
    with threadpool_limits(limits=1):  # OpenMP threads only slow these tiny fits down
        search.fit(X, y)
    pd.DataFrame(search.cv_results_).to_csv(HERE / "cv_results.csv", index=False)
    sio.dump(search.best_estimator_, HERE / "model.skops", compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    holdout.to_csv(HERE / "holdout.csv", index=False)
    print(f"best ROC AUC {search.best_score_:.4f} with {search.best_params_}")


if __name__ == "__main__":
    main()
