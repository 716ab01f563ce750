"""Optuna studies in, TrialTable out. The only module that knows Optuna's trial shapes.

Any storage URL Optuna accepts (SQLite file, PostgreSQL, MySQL, ...) is read through one
``RDBStorage``. The search space is read from the trials' distributions, never guessed: log
scale, bounds and choices as declared. A parameter whose range changed during the run gets the
union of its ranges (Optuna only allows compatible changes), so every recorded value lies in the
space. ``auditlens.space`` has no notion of a step, so a declared ``step`` (other than an int's
default 1) is recorded in the table's ``source`` text only; the parameter is analysed as the
plain range.

Multi-objective studies: the objective is chosen by index (``0``, ``"1"``) or by name (set with
``study.set_metric_names``); without a choice the error lists the objectives.
"""

from __future__ import annotations

import math
import re
import sqlite3
from pathlib import Path

import numpy as np
import optuna
import sqlalchemy
from optuna.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    json_to_distribution,
)
from optuna.storages._rdb import models
from sqlalchemy import select
from sqlalchemy.engine import make_url

from auditlens.errors import TrialsError
from auditlens.space import CategoricalParam, FloatParam, IntParam, Param, SearchSpace
from auditlens.trials.finite import check_finite
from auditlens.trials.table import TrialTable

CONNECT_TIMEOUT_S = 5  # a server that does not answer must not hang the command


def _param_from_distribution(name: str, dist: object) -> Param:
    if isinstance(dist, FloatDistribution):
        return FloatParam(name, float(dist.low), float(dist.high), bool(dist.log))
    if isinstance(dist, IntDistribution):
        return IntParam(name, int(dist.low), int(dist.high), bool(dist.log))
    if isinstance(dist, CategoricalDistribution):
        return CategoricalParam(name, tuple(dist.choices))
    raise TrialsError(f"parameter {name!r}: unsupported Optuna distribution {type(dist).__name__}")


def _merge(old: Param, new: Param) -> Param:
    """The union of two ranges of one parameter (the later declaration's log flag wins)."""
    if isinstance(old, FloatParam) and isinstance(new, FloatParam):
        return FloatParam(new.name, min(old.low, new.low), max(old.high, new.high), new.log)
    if isinstance(old, IntParam) and isinstance(new, IntParam):
        return IntParam(new.name, min(old.low, new.low), max(old.high, new.high), new.log)
    if isinstance(old, CategoricalParam) and isinstance(new, CategoricalParam):
        extra = tuple(c for c in new.choices if c not in old.choices)
        return CategoricalParam(new.name, old.choices + extra)
    return new


# Tables an Optuna database has; Optuna would create (or stamp) any that are missing.
OPTUNA_TABLES = frozenset({"studies", "trials", "version_info", "alembic_version"})


def open_storage(storage: str) -> object:
    """An Optuna ``RDBStorage`` for ``storage``, or a one-line TrialsError.

    A missing SQLite file is refused (opening it would silently create an empty database);
    network databases get a connect timeout so an unreachable server fails fast.
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = sqlite_file(storage)
    if path is not None:
        if not path.is_file():
            raise TrialsError(f"SQLite file {str(path)!r} does not exist", field="storage")
        _check_optuna_tables(path)
    engine_kwargs: dict[str, object] = {}
    if storage.startswith(("postgresql", "mysql")):
        engine_kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    try:
        if path is None:
            _check_optuna_tables_sql(storage, engine_kwargs)
        # skip_table_creation: an audit only reads; Optuna would otherwise create its tables.
        rdb = optuna.storages.RDBStorage(storage, engine_kwargs=engine_kwargs, skip_table_creation=True)
        rdb.get_all_studies()  # connects and checks the schema now, not halfway through
    except TrialsError:
        raise
    except Exception as exc:  # noqa: BLE001  # SQLAlchemy and drivers raise many kinds; the user needs one line
        first = _scrub((str(exc).strip().splitlines() or [type(exc).__name__])[0], storage)
        raise TrialsError(f"cannot open {redact_url(storage)!r}: {first}", field="storage") from None
    return rdb


def sqlite_file(storage: str | None) -> Path | None:
    """The database file of a SQLite URL (``sqlite:///``, ``sqlite+pysqlite:///``), else None."""
    if storage is None or not storage.startswith("sqlite"):
        return None

    try:
        url = make_url(storage)
    except Exception:  # noqa: BLE001
        return None
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def redact_url(storage: str) -> str:
    """A storage URL fit to print or publish: passwords (netloc or query) as ***.

    A URL SQLAlchemy cannot parse is masked by hand (``user:***@``); if even that finds no
    structure, the whole URL is hidden rather than risk printing a secret.
    """
    storage = _mask_userinfo(storage)
    try:
        url = make_url(storage)
    except Exception:  # noqa: BLE001  # SQLAlchemy raises several kinds for malformed URLs
        return _redact_by_hand(storage)
    secret = {k: "***" for k in url.query if _secret_key(k)}
    if secret:
        url = url.update_query_dict(secret)
    return url.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


def _mask_userinfo(storage: str) -> str:
    """Mask a password that holds an unencoded ``@`` before anything parses the URL.

    SQLAlchemy splits ``user:p@ss@host`` at the first ``@`` and would print ``ss@host``. The
    user part ends at the *last* ``@`` before the query; if a database name holds an ``@``,
    more is hidden than needed, never less.
    """
    head, sep, rest = storage.partition("://")
    main, q, query = rest.partition("?")
    if not sep or head.startswith("sqlite") or main.count("@") < 2:
        return storage
    userinfo, _, location = main.rpartition("@")
    return f"{head}://{userinfo.split(':', 1)[0]}:***@{location}{q}{query}"


def _scrub(text: str, storage: str) -> str:
    """A driver's message with the password's pieces hidden: a driver that split the URL at
    the wrong ``@`` names part of the password as the host."""
    userinfo = storage.partition("://")[2].partition("?")[0].rpartition("@")[0]
    password = userinfo.partition(":")[2]
    for piece in sorted({password, *password.split("@")}, key=len, reverse=True):
        if len(piece) >= 2:
            text = text.replace(piece, "***")
    return text


def _secret_key(key: str) -> bool:
    key = key.lower()
    return "pass" in key or "pwd" in key or key == "odbc_connect"


def _redact_by_hand(storage: str) -> str:
    head, sep, rest = storage.partition("://")
    if not sep:
        return "(storage URL hidden)" if re.search(r"[:@]", storage) else storage
    netloc, slash, tail = rest.partition("/")
    if "@" in netloc:
        user = netloc.rsplit("@", 1)[0].split(":", 1)[0]
        netloc = f"{user}:***@{netloc.rsplit('@', 1)[1]}"
    if "?" in tail:
        return f"{head}://{netloc}{slash}{tail.split('?', 1)[0]}?***"
    return f"{head}://{netloc}{slash}{tail}"


def _check_optuna_tables_sql(storage: str, engine_kwargs: dict[str, object]) -> None:
    """Refuse a database without Optuna's tables before Optuna opens it (it would create them)."""
    engine = sqlalchemy.create_engine(storage, **engine_kwargs)
    try:
        tables = set(sqlalchemy.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    missing = sorted(OPTUNA_TABLES - tables)
    if missing:
        raise TrialsError(
            f"{redact_url(storage)!r} is not an Optuna database (no {', '.join(missing)} table); "
            "expected the database of an Optuna study", field="storage"
        )


def _check_optuna_tables(path: Path) -> None:
    """Refuse a SQLite file that is not an Optuna database before Optuna opens it.

    Optuna creates its tables in any database it opens: pointed at another file, it would
    change the evidence it was asked to read. The check opens the file read-only.
    """
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            # A damaged file (bit flips, a truncated copy) fails here, not as a decoding
            # error deep inside Optuna.
            damage = [row[0] for row in db.execute("PRAGMA quick_check(3)")]
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        raise TrialsError(f"{path.name} is damaged or not a SQLite database ({exc})", field="storage") from None
    if damage != ["ok"]:
        raise TrialsError(
            f"{path.name} is damaged (SQLite integrity check: {'; '.join(map(str, damage))}); "
            "expected an intact Optuna database (restore it from a copy)", field="storage"
        )
    missing = sorted(OPTUNA_TABLES - tables)
    if missing:
        raise TrialsError(
            f"{path.name} is not an Optuna database (no {', '.join(missing)} table); "
            "expected the SQLite file of an Optuna study", field="storage"
        )


def load_optuna_study(
    storage: str, study_name: str, *, objective: str | int | None = None
) -> TrialTable:
    """Read every trial of an Optuna study into a :class:`TrialTable`.

    Args:
        storage: a storage URL (``sqlite:///study.db``, ``postgresql://...``).
        study_name: the study.
        objective: for a multi-objective study, which objective: an index (``1`` or ``"1"``)
            or a metric name. For a single-objective study only a label (the study's metric
            name, else ``"value"``, by default); an index other than 0 is refused.

    Raises:
        TrialsError: missing SQLite file, unreachable storage, unknown study (the names that
            do exist are listed), multi-objective study without a valid choice of objective.
    """
    rdb = open_storage(storage)
    studies = rdb.get_all_studies()  # type: ignore[attr-defined]
    names = [s.study_name for s in studies]
    if study_name not in names:
        raise TrialsError(
            f"no study named {study_name!r} in the storage; studies are {', '.join(names) or '(none)'}", field="study"
        )
    summary = studies[names.index(study_name)]
    directions = ["maximize" if d == optuna.study.StudyDirection.MAXIMIZE else "minimize" for d in summary.directions]
    study_id = rdb.get_study_id_from_name(study_name)  # type: ignore[attr-defined]
    metric_names = rdb.get_study_system_attrs(study_id).get("study:metric_names")  # type: ignore[attr-defined]
    index, label = _choose_objective(study_name, objective, directions, metric_names)
    try:
        rows = _read_trials_sql(rdb, study_id, index)
    except Exception:  # noqa: BLE001  # not Optuna's usual tables (a future schema): the public, slower path
        try:
            rows = _read_trials_frozen(rdb, study_id, index)
        except Exception as exc:  # noqa: BLE001  # the database failed mid-read: still one line
            first = _scrub((str(exc).strip().splitlines() or [type(exc).__name__])[0], storage)
            raise TrialsError(f"cannot read the trials of study {study_name!r}: {first}", field="storage") from None
    numbers, states, values, columns, distributions = rows
    for name, cells in columns.items():
        check_finite(name, cells, where=lambda row: f"trial {numbers[row]} of study {study_name!r}")

    space: dict[str, Param] = {}
    steps: dict[str, float] = {}
    for name, dist in distributions:
        param = _param_from_distribution(name, dist)
        space[name] = _merge(space[name], param) if name in space else param
        step = getattr(dist, "step", None)
        if step is not None and not (isinstance(param, IntParam) and step == 1):
            steps[name] = step
    source = f"optuna study {study_name!r}"
    if len(directions) > 1:
        source += f" (objective {index} of {len(directions)}: {label})"
    if steps:
        source += "; steps not modelled: " + ", ".join(f"{n} step {s:g}" for n, s in steps.items())
    return TrialTable(
        space=SearchSpace(tuple(space.values())),
        numbers=tuple(numbers),
        params={name: tuple(columns[name]) for name in space},
        values=values,
        states=tuple(states),
        objective=label,
        direction=directions[index],  # type: ignore[arg-type]
        source=source,
        space_notes={name: "declared by the study's distributions" for name in space},
    )


def _choose_objective(
    study_name: str, objective: str | int | None, directions: list[str], metric_names: list[str] | None
) -> tuple[int, str]:
    """The objective's index and label."""
    n = len(directions)
    listed = "; ".join(
        f"{i}" + (f" {metric_names[i]!r}" if metric_names else "") + f" ({d})" for i, d in enumerate(directions)
    )
    index: int | None = None
    if isinstance(objective, int) and not isinstance(objective, bool):
        index = objective
    elif isinstance(objective, str) and objective.strip().isdigit():
        index = int(objective)
    if index is not None:
        if not 0 <= index < n:
            raise TrialsError(
                f"study {study_name!r} has {n} objective{'s' if n > 1 else ''} "
                f"({listed}); got index {index}", field="objective"
            )
        return index, metric_names[index] if metric_names else ("value" if n == 1 else f"values[{index}]")
    if n == 1:  # the choice is only a label
        return 0, objective if objective is not None else (metric_names[0] if metric_names else "value")
    if objective is None:
        raise TrialsError(
            f"study {study_name!r} has {n} objectives ({listed}); choose one by index or name", field="objective"
        )
    if metric_names and objective in metric_names:
        return metric_names.index(objective), str(objective)
    raise TrialsError(
        f"study {study_name!r} has no objective named {objective!r}; objectives are {listed}", field="objective"
    )


_Rows = tuple[list[int], list[str], np.ndarray, dict[str, list[object]], list[tuple[str, object]]]


def _read_trials_sql(rdb: object, study_id: int, index: int) -> _Rows:
    """The trials straight from Optuna's tables, three queries and no ORM objects.

    ``get_all_trials`` builds an ORM object per row and a FrozenTrial per trial: ~9 s for
    10,000 trials. Reading the columns needed here takes a fraction of that (see
    benchmarks/README.md, "Ingesting trials"); the result is the same (tested against
    :func:`_read_trials_frozen`).
    """
    T, P, V = models.TrialModel, models.TrialParamModel, models.TrialValueModel
    finite = V.TrialValueType.FINITE
    with rdb.engine.connect() as conn:  # type: ignore[attr-defined]
        trials = conn.execute(
            select(T.trial_id, T.number, T.state).where(T.study_id == study_id).order_by(T.trial_id)
        ).all()
        values_of = {
            trial_id: value if value_type == finite else None
            for trial_id, value, value_type in conn.execute(
                select(V.trial_id, V.value, V.value_type)
                .join(T, T.trial_id == V.trial_id)
                .where(T.study_id == study_id, V.objective == index)
            )
        }
        params = conn.execute(
            select(P.trial_id, P.param_name, P.param_value, P.distribution_json)
            .join(T, T.trial_id == P.trial_id)
            .where(T.study_id == study_id)
            .order_by(P.param_id)  # the order the trials set them, as FrozenTrial.params
        ).all()
    position = {trial_id: i for i, (trial_id, _, _) in enumerate(trials)}
    n = len(trials)
    numbers = [number for _, number, _ in trials]
    values = np.full(n, np.nan)
    states: list[str] = []
    for i, (trial_id, _, state) in enumerate(trials):
        name = state.name
        if name == "COMPLETE":
            v = values_of.get(trial_id)
            if v is not None and math.isfinite(v):
                values[i] = v
            else:
                name = "FAIL"  # recorded COMPLETE but without a usable value
        states.append(name)
    parsed: dict[str, object] = {}
    order: dict[tuple[str, str], None] = {}
    columns: dict[str, list[object]] = {}
    for trial_id, name, internal, dist_json in params:
        dist = parsed.get(dist_json)
        if dist is None:
            dist = parsed[dist_json] = json_to_distribution(dist_json)
        order.setdefault((name, dist_json), None)
        column = columns.get(name)
        if column is None:
            column = columns[name] = [None] * n
        column[position[trial_id]] = dist.to_external_repr(internal)  # type: ignore[attr-defined]
    distributions = [(name, parsed[dist_json]) for name, dist_json in order]
    return numbers, states, values, columns, distributions


def _read_trials_frozen(rdb: object, study_id: int, index: int) -> _Rows:
    """The same through Optuna's public storage API (FrozenTrial objects)."""
    trials = rdb.get_all_trials(study_id, deepcopy=False)  # type: ignore[attr-defined]
    n = len(trials)
    values = np.full(n, np.nan)
    states: list[str] = []
    columns: dict[str, list[object]] = {}
    distributions: list[tuple[str, object]] = []
    seen: set[tuple[str, object]] = set()
    for i, t in enumerate(trials):
        state = t.state.name
        if state == "COMPLETE":
            v = t.values[index] if t.values is not None and len(t.values) > index else None
            if v is not None and math.isfinite(v):
                values[i] = v
            else:
                state = "FAIL"
        states.append(state)
        for name, dist in t.distributions.items():
            if (name, dist) not in seen:
                seen.add((name, dist))
                distributions.append((name, dist))
            columns.setdefault(name, [None] * n)[i] = t.params[name]
    return [t.number for t in trials], states, values, columns, distributions
