"""Load a fitted model from a file without running code from the file, and check it fits the data.

A ``.skops`` file is the safe format: skops lists the types it would create and loads only
the ones it is told to trust. auditlens trusts scikit-learn classes (and xgboost/lightgbm
classes when installed) plus a few numpy/scipy/stdlib helpers ordinary models contain;
anything else must be reviewed and listed by the user (``model.trusted_types``). Pickle
and joblib files run arbitrary code when loaded, so they are refused unless the user says
they trust the file (``allow_pickle``); the refusal happens before a byte is unpickled.

skops does not trust sklearn's tree storage (``sklearn.tree._tree.Tree``, the
HistGradientBoosting ``TreePredictor``) by default because sklearn indexes their node arrays
without bounds checks: a crafted file could crash the process at predict time. auditlens
trusts them (every tree model needs them) and checks every node index after loading,
before the model is used (:func:`_check_tree_indices`).

Example:
    >>> from auditlens.model_file import load_model   # doctest: +SKIP
    >>> loaded = load_model("model.skops")            # doctest: +SKIP
    >>> loaded.format, loaded.untrusted_types         # doctest: +SKIP
    ('skops', ('sklearn.tree._tree.Tree',))
"""

from __future__ import annotations

import importlib
import io
import warnings
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import skops.io as sio
from sklearn.base import is_regressor
from sklearn.ensemble import BaseEnsemble
from sklearn.ensemble._gb import BaseGradientBoosting
from sklearn.ensemble._hist_gradient_boosting.gradient_boosting import (
    BaseHistGradientBoosting,
)
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.exceptions import NotFittedError
from sklearn.tree import BaseDecisionTree
from sklearn.tree._tree import Tree
from sklearn.utils.validation import check_is_fitted

from auditlens._files import sha256_bytes
from auditlens.errors import DataError, ModelError

__all__ = [
    "SUPPORTED_SUFFIXES",
    "LoadedModel",
    "check_columns",
    "check_positive_class",
    "is_allowed_type",
    "load_model",
    "model_classes",
    "model_features",
]

#: File extension -> format. Pickle formats load only with ``allow_pickle``.
SUPPORTED_SUFFIXES = {".skops": "skops", ".pkl": "pickle", ".pickle": "pickle", ".joblib": "joblib"}

# Non-sklearn names skops reports as untrusted in ordinary sklearn models (measured with
# skops 0.16 / sklearn 1.9): numpy.dtype (SimpleImputer, KBinsDiscretizer,
# OneHotEncoder in a ColumnTransformer), functools.partial + check_array
# (HistGradientBoosting with categorical_features="from_dtype"; skops checks the wrapped
# function as a type of its own), BSpline + asarray (SplineTransformer). Functions are
# not allowed wholesale: sklearn has functions that run code (e.g. in sklearn.utils._testing)
# and a FunctionTransformer would call them at predict time. collections.OrderedDict: a
# fitted LGBMClassifier's best_score_ is defaultdict(OrderedDict) and skops reports the
# factory type (measured with lightgbm 4.7); loading it only imports the stdlib class.
_EXTRA_ALLOWED = frozenset(
    {
        "numpy.dtype",
        "collections.OrderedDict",
        "functools.partial",
        "sklearn.utils.validation.check_array",
        "scipy.interpolate._bsplines.BSpline",
        "scipy._lib.array_api_compat.numpy._aliases.asarray",
    }
)
# Bounds on a .skops archive before skops unpacks it: a tabular classifier's arrays fit well
# inside both (a 500-tree forest of depth 12 is ~150 MB in ~1,500 members).
MAX_SKOPS_BYTES = 2 * 1024**3
MAX_SKOPS_MEMBERS = 100_000
# Packages whose classes are trusted; xgboost/lightgbm only count when installed.
_ALLOWED_PACKAGES = ("sklearn", "xgboost", "lightgbm")
# Modules of those packages that are not model code (test helpers, vendored libraries).
_EXCLUDED_PARTS = frozenset({"tests", "_testing", "testing", "externals", "conftest"})

# How a spec allows what a model file needs, as errors mention it (the CLI spells them as flags).
ALLOW_PICKLE = "model.allow_pickle = true"
TRUST_TYPES = "in model.trusted_types"


@dataclass(frozen=True)
class LoadedModel:
    """A loaded model and what the report must say about how it was loaded."""

    estimator: Any
    path: Path
    format: str  # "skops" | "pickle" | "joblib"
    sha256: str  # of the bytes that were checked and loaded
    untrusted_types: tuple[str, ...]  # every type skops reported as untrusted
    trusted_by_user: tuple[str, ...]  # those not on the allowlist that the user trusted
    warnings: tuple[str, ...]  # one sentence each, for the output and the report


# --------------------------------------------------------------------------- allowlist


def is_allowed_type(name: str) -> bool:
    """Whether auditlens trusts a type name skops reported, without the user's say-so.

    A name is allowed if it is in the short numpy/scipy list above, or names a *class*
    defined (not merely imported) in a module of scikit-learn, xgboost or lightgbm, outside
    test helpers. The module is imported to check: it is installed library code.

    Example:
        >>> is_allowed_type("sklearn.tree._tree.Tree"), is_allowed_type("builtins.eval")
        (True, False)
        >>> is_allowed_type("sklearn.utils.validation.column_or_1d")  # a function
        False
    """
    if name in _EXTRA_ALLOWED:
        return True
    parts = name.split(".")
    if len(parts) < 2 or parts[0] not in _ALLOWED_PACKAGES:
        return False
    if any(p in _EXCLUDED_PARTS or p.startswith("test_") for p in parts):
        return False
    # skops records "<module>.<qualname>"; try each split point, longest module first
    for cut in range(len(parts) - 1, 0, -1):
        module_name, qualname = ".".join(parts[:cut]), parts[cut:]
        try:
            obj: Any = importlib.import_module(module_name)
        except Exception:  # noqa: BLE001, S112 - not a module (or not installed): try a shorter one
            continue
        for attr in qualname:
            obj = getattr(obj, attr, None)
        return (
            isinstance(obj, type)
            and getattr(obj, "__module__", "") == module_name
            and getattr(obj, "__qualname__", "") == ".".join(qualname)
        )
    return False


# --------------------------------------------------------------------------- loading


def load_model(
    path: str | Path,
    *,
    trusted_types: Iterable[str] = (),
    allow_pickle: bool = False,
    field: str = "model.path",
) -> LoadedModel:
    """Load a fitted classifier or regressor from ``.skops`` (safe) or pickle/joblib (if allowed).

    Args:
        path: the model file.
        trusted_types: type names (as skops reports them) the user reviewed and trusts,
            beyond the allowlist (:func:`is_allowed_type`).
        allow_pickle: load ``.pkl``/``.pickle``/``.joblib`` files, which run any code they
            contain; a warning is recorded.
        field: the spec field or CLI flag named in error messages (``"--model"``).

    Returns:
        The :class:`LoadedModel`.

    Raises:
        ModelError: missing, empty, unreadable or corrupt file; unsupported extension;
            pickle without ``allow_pickle``; types neither allowed nor trusted; tree node
            indices out of range; not a fitted classifier with ``predict_proba`` or a fitted regressor.
    """
    p = Path(path)
    name = p.name
    spec_form = field.startswith("model.")
    if not p.exists():
        raise ModelError(f"file not found: {p}", field=field)
    if not p.is_file():
        raise ModelError(f"{p} is not a file", field=field)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ModelError(
            f"{name} has an unsupported extension {suffix or '(none)'!r}; expected "
            f".skops (skops.io.dump), or .pkl, .pickle, .joblib (pickle, only with allow_pickle)", field=field
        )
    fmt = SUPPORTED_SUFFIXES[suffix]
    if fmt != "skops" and not allow_pickle:
        raise ModelError(
            f"{name} is a pickle file, which runs code when loaded; convert it to "
            "skops (skops.io.dump) or set {allow} if you trust its origin",
            field=field, mentions={"allow": ALLOW_PICKLE if spec_form else "--allow-pickle"},
        )
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ModelError(f"{name} cannot be read: {exc.strerror or exc}", field=field) from None
    if not data:
        raise ModelError(f"{name} is empty (0 bytes); expected a saved model", field=field)
    digest = sha256_bytes(data)  # of exactly the bytes checked and loaded below
    if fmt == "skops":
        estimator, untrusted, by_user, notes = _load_skops(data, name, field, trusted_types)
    else:
        estimator, untrusted, by_user = _load_pickle(data, name, field), (), ()
        notes = [
            (f"{name} was loaded from a {fmt} file with allow_pickle, which runs any code the "
            f"file contains; its origin was trusted, not checked.")
        ]
    _check_classifier(estimator, name, field)
    return LoadedModel(
        estimator=estimator,
        path=p,
        format=fmt,
        sha256=digest,
        untrusted_types=untrusted,
        trusted_by_user=by_user,
        warnings=tuple(notes),
    )


def _load_skops(
    data: bytes, name: str, field: str, trusted_types: Iterable[str]
) -> tuple[Any, tuple[str, ...], tuple[str, ...], list[str]]:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        what = "a pickle" if data[:1] == b"\x80" else "not a zip archive"
        raise ModelError(
            f"{name} is not a skops file ({what}); save the model with skops.io.dump", field=field
        )
    _check_archive(data, name, field)
    try:
        untrusted = tuple(sorted(set(sio.get_untrusted_types(data=data))))
    except Exception as exc:  # noqa: BLE001 - any failure here means a corrupt file
        raise ModelError(
            f"{name} is not a readable skops file ({type(exc).__name__}); "
            f"save the model again with skops.io.dump", field=field
        ) from None
    user = {str(t) for t in trusted_types}
    allowed = {t for t in untrusted if is_allowed_type(t)}
    by_user = tuple(t for t in untrusted if t not in allowed and t in user)
    refused = [t for t in untrusted if t not in allowed and t not in user]
    if refused:
        where = TRUST_TYPES if field.startswith("model.") else "in [model] trusted_types of a spec"
        raise ModelError(
            f"{name} contains types not on the allowlist: {', '.join(refused)}; "
            "review them and list the ones you trust {where} to load it",
            field=field, mentions={"where": where},
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            estimator = sio.loads(data, trusted=list(untrusted))
        except Exception as exc:  # noqa: BLE001 - report any loader failure on one line
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ModelError(
                f"{name} could not be loaded by skops: {reason}", field=field
            ) from None
    _check_tree_indices(estimator, name, field)
    return estimator, untrusted, by_user, _version_notes(caught, name)


def _check_archive(data: bytes, name: str, field: str) -> None:
    """Refuse a zip whose members would unpack past what a model needs, before unpacking any.

    A zip bomb (2 MB of deflated zeros declaring gigabytes) would otherwise be inflated by
    skops into memory: measured 4.4 GB before it failed. The sizes checked are the ones the
    archive declares; Python's zipfile never inflates a member past its declared size.
    """
    from auditlens.memory import available_bytes

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
    if len(members) > MAX_SKOPS_MEMBERS:
        raise ModelError(
            f"{name} has {len(members):,} members; expected at most {MAX_SKOPS_MEMBERS:,} "
            "for a saved model (a damaged or hostile archive?)", field=field
        )
    total = sum(m.file_size for m in members)
    limit = min(MAX_SKOPS_BYTES, available_bytes() // 2)
    if total > limit:
        raise ModelError(
            f"{name} unpacks to {total:,} bytes; expected at most {limit:,} "
            f"(the smaller of {MAX_SKOPS_BYTES:,} and half the memory available; a zip bomb?)", field=field
        )


def _load_pickle(data: bytes, name: str, field: str) -> Any:
    # joblib.load reads plain pickles and joblib dumps (numpy arrays stored apart) alike
    try:
        return joblib.load(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - report any unpickling failure on one line
        raise ModelError(
            f"{name} could not be unpickled ({type(exc).__name__}: {exc})", field=field
        ) from None


def _version_notes(caught: Sequence[warnings.WarningMessage], name: str) -> list[str]:
    """sklearn's warning that the model was saved with another version, as one sentence."""
    notes = []
    for w in caught:
        if type(w.message).__name__ == "InconsistentVersionWarning":
            m = w.message
            notes.append(
                f"{name} holds a {getattr(m, 'estimator_name', 'model')} saved with "
                f"scikit-learn {getattr(m, 'original_sklearn_version', '?')} and loaded with "
                f"{getattr(m, 'current_sklearn_version', '?')}; its predictions may differ."
            )
    return sorted(set(notes))


# --------------------------------------------------------------------------- tree indices


# Models whose rows reach their trees unchanged: their n_features_in_ bounds the trees' features.
_TREE_MODELS = (BaseEnsemble, BaseGradientBoosting, BaseHistGradientBoosting, BaseDecisionTree)


def _check_tree_indices(root: Any, name: str, field: str) -> None:
    """Refuse trees whose node indices sklearn would follow out of bounds.

    sklearn's tree code trusts its node arrays (child and feature indices are not bounds
    checked), so a crafted file can make ``predict`` read outside memory. Children must come
    after their parent (so walks end) and inside the array, features inside the input width:
    the smallest ``n_features_in_`` of the estimators that validate the rows reaching a tree.
    """

    def fail(what: str) -> None:
        raise ModelError(f"{name} holds a tree with {what}; the file is corrupt or crafted", field=field)

    seen: set[int] = set()

    def walk(obj: Any, chain: list[Any]) -> None:
        if id(obj) in seen or isinstance(obj, (str, bytes, int, float, bool, type(None))):
            return
        seen.add(id(obj))
        if isinstance(obj, Tree):
            _check_sklearn_tree(obj, chain, fail)
            return
        if isinstance(obj, TreePredictor):
            _check_hist_predictor(obj, chain, fail)
            return
        if isinstance(obj, np.ndarray):
            if obj.dtype == object:
                for item in obj.ravel():
                    walk(item, chain)
            return
        if isinstance(obj, dict):
            children: Iterable[Any] = obj.values()
        elif isinstance(obj, (list, tuple, set, frozenset)):
            children = obj
        elif hasattr(obj, "__dict__"):
            children = vars(obj).values()
            if isinstance(getattr(obj, "n_features_in_", None), (int, np.integer)):
                chain = [*chain, obj]
        else:
            return
        for child in children:
            walk(child, chain)

    walk(root, [])


def _input_bound(chain: list[Any]) -> int | None:
    """Smallest n_features_in_ from the innermost estimator out through tree models."""
    widths = []
    for k, owner in enumerate(reversed(chain)):
        if k and not isinstance(owner, _TREE_MODELS):
            break
        widths.append(int(owner.n_features_in_))
    return min(widths) if widths else None


def _children_out_of_range(left: np.ndarray, right: np.ndarray, inner: np.ndarray) -> bool:
    """A child before its parent (a walk could loop) or past the end of the node array."""
    n, i = len(left), np.arange(len(left))
    return bool(np.any((left[inner] <= i[inner]) | (left[inner] >= n) | (right[inner] <= i[inner]) | (right[inner] >= n)))


def _check_sklearn_tree(tree: Any, chain: list[Any], fail: Callable[[str], None]) -> None:
    """A DecisionTree's node array (``sklearn.tree._tree.Tree``)."""
    nodes = tree.__getstate__()["nodes"]
    width = _input_bound(chain)
    limit = int(tree.n_features) if width is None else min(int(tree.n_features), width)
    left, right = nodes["left_child"].astype(np.int64), nodes["right_child"].astype(np.int64)
    leaf = left == -1
    if np.any(leaf != (right == -1)):
        fail("a node that has only one child")
    inner = ~leaf
    if _children_out_of_range(left, right, inner):
        fail("child node indices out of range")
    feature = nodes["feature"].astype(np.int64)[inner]
    if np.any((feature < 0) | (feature >= limit)):
        fail(f"feature indices outside the {limit} input columns")


def _check_hist_predictor(pred: Any, chain: list[Any], fail: Callable[[str], None]) -> None:
    """A HistGradientBoosting tree (``TreePredictor``), with its categorical bitsets."""
    nodes = np.asarray(pred.nodes)
    width = _input_bound(chain)
    inner = nodes["is_leaf"] == 0
    left, right = nodes["left"].astype(np.int64), nodes["right"].astype(np.int64)
    if _children_out_of_range(left, right, inner):
        fail("child node indices out of range")
    feature = nodes["feature_idx"].astype(np.int64)[inner]
    if width is None or np.any((feature < 0) | (feature >= width)):
        fail(f"feature indices outside the {width} input columns")
    categorical = inner & (nodes["is_categorical"] != 0)
    if categorical.any():
        k = min(len(pred.raw_left_cat_bitsets), len(pred.binned_left_cat_bitsets))
        if np.any(nodes["bitset_idx"][categorical].astype(np.int64) >= k):
            fail("category bitset indices out of range")
        # sklearn looks up known categories in a table with one row per categorical
        # feature of the bin mapper: it must have at least one row
        mapper = getattr(chain[-1], "_bin_mapper", None) if chain else None
        flags = getattr(mapper, "is_categorical", None)
        if flags is None or not np.any(flags):
            fail("categorical splits but no categorical feature")


# --------------------------------------------------------------------------- the model


def _check_classifier(estimator: Any, name: str, field: str) -> None:
    """A fitted classifier with predict_proba and at least two classes, or a fitted regressor."""
    kind = f"{type(estimator).__module__}.{type(estimator).__qualname__}"
    regressor = is_regressor(estimator) and hasattr(estimator, "predict")
    if not hasattr(estimator, "fit") or not (regressor or hasattr(estimator, "predict_proba")):
        raise ModelError(
            f"{name} holds a {kind}; expected a fitted scikit-learn classifier (with predict_proba), "
            f"regressor, or Pipeline of one", field=field
        )
    try:
        check_is_fitted(estimator)
    except (NotFittedError, TypeError):
        raise ModelError(
            f"{name} holds an unfitted {type(estimator).__name__}; fit it before saving", field=field
        ) from None
    if regressor:
        return
    classes = getattr(estimator, "classes_", None)
    if classes is None or len(classes) < 2:
        found = "no classes_" if classes is None else f"{len(classes)} classes ({_listing(classes)})"
        raise ModelError(
            f"{name} holds a {type(estimator).__name__} with {found}; expected a "
            f"classifier of two or more classes", field=field
        )


def model_features(estimator: Any) -> tuple[str, ...] | None:
    """The columns the model was fitted on, in order; None if it was fitted on an array."""
    names = getattr(estimator, "feature_names_in_", None)
    return None if names is None else tuple(str(c) for c in names)


def model_classes(estimator: Any) -> tuple[Any, ...]:
    """The model's class labels, in ``predict_proba`` column order (numpy scalars unwrapped)."""
    classes = getattr(estimator, "classes_", ())
    return tuple(c.item() if isinstance(c, np.generic) else c for c in classes)


def check_columns(
    estimator: Any,
    columns: Sequence[str],
    *,
    data_name: str,
    ignore: Iterable[str] = (),
) -> tuple[str, ...]:
    """The model's feature columns, in its order, after checking the data carries them.

    ``columns`` are the data's columns without the target. A model feature missing from the
    data is an error. So is a data column the model does not use, unless listed in
    ``ignore`` (e.g. protected attributes kept only for the group analysis): a stray column
    usually means the data is not the table the model was trained on (a renamed column
    shows up as one missing and one unexpected), and auditing a different table must not
    pass silently. A model fitted on an array has no names: the data must then have exactly
    ``n_features_in_`` columns, taken in file order.

    Raises:
        DataError: ``data: <file> does not match the model's features: missing a, b;
            unexpected c`` (each part only when non-empty), or the column count for a model
            fitted without names.

    Example:
        >>> import pandas as pd
        >>> from sklearn.linear_model import LogisticRegression
        >>> m = LogisticRegression().fit(pd.DataFrame({"a": [0, 1], "b": [1, 0]}), [0, 1])
        >>> check_columns(m, ["b", "a", "id"], data_name="x.csv", ignore=["id"])
        ('a', 'b')
    """
    cols = [str(c) for c in columns]
    features = model_features(estimator)
    if features is None:
        n = getattr(estimator, "n_features_in_", None)
        if n is not None and len(cols) != int(n):
            raise DataError(
                f"{data_name} has {len(cols)} feature columns; the model was fitted "
                f"without column names on {int(n)} features, so the data must have exactly "
                f"{int(n)} feature columns in the model's order", field="data"
            )
        return tuple(cols)
    skip = {str(c) for c in ignore}
    missing = [f for f in features if f not in cols]
    unexpected = [c for c in cols if c not in features and c not in skip]
    if missing or unexpected:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unexpected {', '.join(unexpected)}"] if unexpected else []
        )
        raise DataError(f"{data_name} does not match the model's features: {'; '.join(parts)}", field="data")
    return features


def check_positive_class(estimator: Any, positive_class: object, *, field: str = "data.positive_class") -> Any:
    """The model's class label equal to ``positive_class`` (as stored in ``classes_``).

    A label matches if it is equal or has the same string form, as for the data's labels
    (a spec says ``"1"`` for an int label 1).

    Raises:
        DataError: ``data.positive_class: 'yes' is not among the model's classes 'bad', 'good'``.
    """
    classes = model_classes(estimator)
    for c in classes:
        if c == positive_class:
            return c
    for c in classes:
        if str(c) == str(positive_class):
            return c
    raise DataError(
        f"{positive_class!r} is not among the model's classes {_listing(classes)}", field=field
    )


def _listing(values: Iterable[Any]) -> str:
    return ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in values)
