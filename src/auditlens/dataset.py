"""The audited data set: read, check against the spec, split into train and test.

Only this module knows how the data file looks; it hands on pandas frames and the target as
the task needs it: 0/1 for a binary model (1 = the positive class), class codes for a
multiclass one (positions in ``Dataset.classes``, the model's ``classes_`` order), numbers for a
regressor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from auditlens._files import sha256_file
from auditlens.errors import DataError, LabelError, SpecError
from auditlens.task import Task, is_classification, resolve_task

if TYPE_CHECKING:
    from auditlens.spec import AuditSpec


@dataclass(frozen=True, slots=True)
class Dataset:
    """The data file, its hash, and the train/test split (stratified for classifiers).

    ``classes``: the labels as text, in the model's ``classes_`` order for a multiclass model
    (``y`` holds positions in it), sorted for a binary one, empty for a regressor.
    """

    path: Path
    sha256: str
    frame: pd.DataFrame
    target: str
    positive_class: object
    classes: tuple[str, ...]
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: np.ndarray
    y_test: np.ndarray
    task: Task = "binary"
    # columns converted to text after reading (models auditlens fits get strings to one-hot)
    text_columns: tuple[str, ...] = ()

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(c for c in self.frame.columns if c != self.target)

    def with_features(self, features: Sequence[str]) -> Dataset:
        """The same data with only ``features`` as model inputs, in that order."""
        X_train, X_test = self.X_train[list(features)], self.X_test[list(features)]
        numeric = tuple(c for c in features if c in self.numeric)
        return dataclasses.replace(
            self, X_train=X_train, X_test=X_test, numeric=numeric,
            categorical=tuple(c for c in features if c not in numeric),
        )


def read_table(path: Path, *, field: str = "data.path") -> pd.DataFrame:
    """Read a CSV or Parquet file, with a one-line error naming the problem."""
    if not path.exists():
        raise DataError(f"file {str(path)!r} does not exist", field=field)
    suffix = path.suffix.lower()
    _check_fits(path.stat().st_size, f"{path.name} is", field)  # on disk; in memory it is more
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path)
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            raise DataError(field=field, expected="a .csv or .parquet file", got=repr(path.name))
    except pd.errors.EmptyDataError:
        raise DataError(f"{path.name} is empty", field=field) from None
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"cannot read {path.name}: {exc}", field=field) from None
    if frame.empty:
        raise DataError(f"{path.name} has no rows", field=field)
    _check_finite(frame, path.name, field)
    in_memory = int(frame.memory_usage(deep=True).sum())
    _check_fits(in_memory * AUDIT_COPIES, f"auditing {path.name} ({in_memory:,} bytes in memory, held about "
                f"{AUDIT_COPIES} times) needs", field)
    return frame


def load_spec_dataset(spec: AuditSpec) -> Dataset:
    """The data a spec that tunes describes, split as its [data] says (every tuning process alike)."""
    return load_dataset(
        spec.data_path,
        target=spec.data.target,
        positive_class=spec.data.positive_class,
        test_fraction=spec.data.test_fraction,
        split_seed=spec.data.split_seed,
        protected_attributes=spec.data.protected_attributes,
        task=spec.model.task,
    )


# The frame, its train/test split, the encoded model input and the SHAP values are each
# about as large as the data: an audit holds about four copies of it at once.
AUDIT_COPIES = 4


def _check_fits(need: int, what: str, field: str) -> None:
    """Refuse at once data this machine cannot audit in memory (exit 2, not a crash later)."""
    from auditlens.memory import available_bytes, format_bytes

    have = available_bytes()
    if need > have:
        raise DataError(
            f"{what} {format_bytes(need)}, more than the {format_bytes(have)} of memory "
            "available; expected data that fits (sample rows, or drop columns)", field=field
        )


def _check_finite(frame: pd.DataFrame, file_name: str, field: str) -> None:
    """Refuse ±inf in a numeric column at once: later it fails SHAP without a name, or hides
    in a summary as "max nan". Empty cells (NaN) are missing values, not this."""
    for name in frame.columns:
        column = frame[name]
        if not pd.api.types.is_float_dtype(column):
            continue
        bad = np.isinf(column.to_numpy(dtype=np.float64, na_value=np.nan))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"column {name!r}: expected finite numbers (or empty cells for missing values); "
                f"got {float(column.iloc[row])} in row {row + 1} of {file_name} ({int(bad.sum())} such cell(s))", field=field
            )


def load_dataset(
    path: Path,
    *,
    target: str,
    positive_class: object,
    test_fraction: float,
    split_seed: int,
    protected_attributes: tuple[str, ...] = (),
    task: Task | None = None,
) -> Dataset:
    """Read the data, check the spec's column names against it, split it (stratified for a
    classifier). ``task``: as stated in the spec, else inferred from the target.

    Raises:
        DataError: missing file or column, a target unfit for the task, or a positive class
            that is not among the labels.
    """
    frame, task, positive, classes, y = _read_labelled(path, target, positive_class, protected_attributes, task=task)

    features = frame.drop(columns=[target])
    categorical = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    # One-hot encoding wants strings; keep the original values for the report.
    features = features.astype({c: str for c in categorical})
    X_train, X_test, y_train, y_test = train_test_split(
        features, y, test_size=test_fraction, random_state=split_seed, stratify=y if is_classification(task) else None
    )
    dataset = _dataset(path, frame, target, positive, classes, X_train, X_test, np.asarray(y_train), np.asarray(y_test), task)
    return dataclasses.replace(dataset, text_columns=tuple(categorical))


def load_evaluation_data(
    path: Path,
    *,
    target: str,
    positive_class: object,
    protected_attributes: tuple[str, ...] = (),
    task: Task | None = None,
    model: object = None,
) -> Dataset:
    """Read held-out data for a model fitted elsewhere: every row is evaluated, none split off.

    ``X_train`` and ``X_test`` are the same rows (the SHAP background is drawn from them: the
    training data of an existing model is usually not at hand). Values are passed to the
    model as read, without the string conversion auditlens applies to the categorical
    columns of models it fits itself; :meth:`Dataset.with_features` then keeps the model's
    features in its order.

    Raises:
        DataError: as :func:`load_dataset`.
    """
    frame, task, positive, classes, y = _read_labelled(
        path, target, positive_class, protected_attributes, task=task, model=model
    )
    X = frame.drop(columns=[target])
    return _dataset(path, frame, target, positive, classes, X, X, y, y, task)


def _dataset(
    path: Path, frame: pd.DataFrame, target: str, positive: object, classes: list[object],
    X_train: pd.DataFrame, X_test: pd.DataFrame, y_train: np.ndarray, y_test: np.ndarray, task: Task,
) -> Dataset:
    numeric = tuple(c for c in X_train.columns if pd.api.types.is_numeric_dtype(X_train[c]))
    return Dataset(
        path=path,
        sha256=sha256_file(path),
        frame=frame,
        target=target,
        positive_class=positive,
        classes=tuple(map(str, classes)),
        numeric=numeric,
        categorical=tuple(c for c in X_train.columns if c not in numeric),
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        task=task,
    )


def _read_labelled(
    path: Path, target: str, positive_class: object, protected_attributes: tuple[str, ...],
    *, task: Task | None = None, model: object = None,
) -> tuple[pd.DataFrame, Task, object, list[object], np.ndarray]:
    """The frame, the task, the positive label as stored (binary), the labels and y."""
    frame = read_table(path)
    columns = list(frame.columns)
    if target not in columns:
        raise DataError(
            f"column {target!r} not in {path.name}; columns are {', '.join(map(str, columns))}", field="data.target"
        )
    for name in protected_attributes:
        if name not in columns:
            raise DataError(
                f"column {name!r} not in {path.name}; "
                f"columns are {', '.join(map(str, columns))}", field="data.protected_attributes"
            )
    labels = frame[target]
    if labels.isna().any():
        raise DataError(f"column {target!r} has {int(labels.isna().sum())} missing labels", field="data.target")
    if task is None and model is None and positive_class is not None:
        task = "binary"  # a positive class names a binary target; the label check below says if it is not
    else:
        task = resolve_task(task, labels, model)
    if task != "binary" and positive_class is not None:
        raise SpecError(field="data.positive_class", expected=f"none for a {task} model", got=repr(positive_class))
    if task == "regression":
        return frame, task, None, [], labels.to_numpy(dtype=np.float64)
    if task == "multiclass":
        classes, y = _class_codes(labels, target, model)
        return frame, task, None, classes, y
    if positive_class is None:
        raise SpecError("required field is missing (a binary target: name its positive label)", field="data.positive_class")
    classes = sorted(labels.unique().tolist(), key=str)
    if len(classes) != 2:
        raise DataError(
            field="data.target", expected="a binary label",
            note=f"column {target!r} has {len(classes)} distinct values ({', '.join(map(str, classes[:10]))})",
        )
    matches = [c for c in classes if c == positive_class or str(c) == str(positive_class)]
    if not matches:
        raise LabelError(
            f"{positive_class!r} is not a label of {target!r}; labels are {', '.join(map(repr, classes))}",
            field="data.positive_class", labels=tuple(classes),
        )
    positive = matches[0]
    y = (labels == positive).to_numpy(dtype=int)
    if min(y.sum(), len(y) - y.sum()) < 2:
        raise DataError(f"each class needs at least 2 rows; counts are {int(y.sum())} positive, {int(len(y) - y.sum())} negative", field="data.target")
    return frame, task, positive, classes, y


def _class_codes(labels: pd.Series, target: str, model: object) -> tuple[list[object], np.ndarray]:
    """Multiclass labels as positions in the model's ``classes_`` (sorted labels for a model to fit).

    A label the model does not know is bad input: it could never be predicted.
    """
    known = list(getattr(model, "classes_", [])) if model is not None else sorted(labels.unique().tolist(), key=str)
    index = {str(c): i for i, c in enumerate(known)}
    text = labels.astype(str)
    unknown = sorted(set(text.unique()) - set(index))
    if unknown:
        raise LabelError(
            f"column {target!r} holds label(s) {', '.join(map(repr, unknown[:5]))} that are not among the "
            f"model's classes {', '.join(map(repr, map(str, known)))}",
            field="data.target", labels=tuple(known),
        )
    y = text.map(index).to_numpy(dtype=np.int64)
    counts = np.bincount(y, minlength=len(known))
    if model is None and counts.min() < 2:
        rare = str(known[int(np.argmin(counts))])
        raise DataError(f"each class needs at least 2 rows to split; class {rare!r} has {int(counts.min())}", field="data.target")
    return known, y


SHARED_ROWS_METHOD = (
    "held-out rows whose values in every model input and the label hash (pandas.util.hash_pandas_object, "
    "index excluded) equal those of a training row"
)


def shared_rows(dataset: Dataset) -> int:
    """How many held-out rows repeat a training row exactly (every model input and the label).

    Rows are compared by a 64-bit hash of their values, once per row, so this is linear in the
    rows; a hash collision could only overcount, with probability ~ n_train * n_test / 2**64.

    Example:
        >>> import pandas as pd, numpy as np
        >>> X = pd.DataFrame({"a": [1, 2, 1]})
        >>> d = Dataset(Path("x.csv"), "", X, "y", 1, ("0", "1"), ("a",), (), X.iloc[:2], X.iloc[2:],
        ...             np.array([0, 1]), np.array([0]))
        >>> shared_rows(d)
        1
    """
    def hashes(X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        frame = X.reset_index(drop=True).assign(**{"\0label": np.asarray(y)})
        return pd.util.hash_pandas_object(frame, index=False).to_numpy()

    seen = set(hashes(dataset.X_train, dataset.y_train).tolist())
    return int(sum(h in seen for h in hashes(dataset.X_test, dataset.y_test).tolist()))
