from __future__ import annotations

from pathlib import Path

import pytest

from auditlens.errors import SpecError
from auditlens.space import CategoricalParam, FloatParam, IntParam
from auditlens.spec import load_spec

from sample_helpers import SAMPLE_SPEC, sample_spec_text, with_max_bins, write_spec


def test_sample_spec_loads(tmp_path: Path) -> None:
    spec = load_spec(SAMPLE_SPEC)
    assert spec.data.target == "creditability"
    assert spec.data_path.is_file()
    space = spec.tuning.search_space()
    assert isinstance(space["learning_rate"], FloatParam) and space["learning_rate"].log
    assert isinstance(space["min_samples_leaf"], IntParam) and space["min_samples_leaf"].log
    assert spec.model.params == {"max_iter": 50}
    with_choice = load_spec(write_spec(tmp_path, with_max_bins(sample_spec_text()))).tuning.search_space()
    assert isinstance(with_choice["max_bins"], CategoricalParam)
    assert with_choice["max_bins"].choices == (15, 63, 255)
    assert spec.audit.timestamp is not None and spec.audit.timestamp.tzinfo is not None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"trials": "0"}, "tuning.trials: Input should be greater than or equal to 2; got 0"),
        ({"trials": '"many"'}, "tuning.trials: Input should be a valid integer, unable to parse string as an integer; got 'many'"),
        ({"test_fraction": "1.5"}, "data.test_fraction: Input should be less than 1; got 1.5"),
        ({"estimator": '"xgboost"'}, "model.estimator: Input should be 'logistic_regression', 'random_forest', 'hist_gradient_boosting', 'ridge' or 'elastic_net'; got 'xgboost'"),
        ({"metric": '"f2"'}, "tuning.metric: Input should be"),
        ({"timestamp": '"2026-11-26T12:00:00"'}, "audit.timestamp: expected a timestamp with a UTC offset"),
    ],
)
def test_bad_fields_name_field_expectation_and_value(tmp_path: Path, overrides: dict[str, str], message: str) -> None:
    spec = write_spec(tmp_path, sample_spec_text(**overrides))
    with pytest.raises(SpecError) as info:
        load_spec(spec)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_bad_bounds_and_log(tmp_path: Path) -> None:
    text = sample_spec_text().replace("low = 0.001\nhigh = 1.0", "low = 0.0\nhigh = 1.0")
    with pytest.raises(SpecError, match=r"^tuning\.space\.learning_rate: expected low > 0 when log = true; got low=0\.0$"):
        load_spec(write_spec(tmp_path, text))
    text = sample_spec_text().replace("low = 1e-6\nhigh = 10.0", "low = 0.9\nhigh = 0.2")
    with pytest.raises(SpecError, match=r"^tuning\.space\.l2_regularization: expected low <= high; got low=0\.9, high=0\.2$"):
        load_spec(write_spec(tmp_path, text))


def test_unknown_type_and_unknown_field(tmp_path: Path) -> None:
    text = with_max_bins(sample_spec_text()).replace('type = "categorical"', 'type = "choice"')
    with pytest.raises(SpecError, match=r"^tuning\.space\.max_bins: 'type' must be one of 'float', 'int', 'categorical'; got 'choice'$"):
        load_spec(write_spec(tmp_path, text))
    text = sample_spec_text().replace("cv_folds = 5", "cv_folds = 5\ncv_fold = 3")
    with pytest.raises(SpecError, match=r"^tuning\.cv_fold: unknown field"):
        load_spec(write_spec(tmp_path, text))


def test_missing_section_and_file(tmp_path: Path) -> None:
    text = sample_spec_text().replace('target = "creditability"\n', "")
    with pytest.raises(SpecError, match=r"^data\.target: required field is missing$"):
        load_spec(write_spec(tmp_path, text))
    with pytest.raises(SpecError, match=r"does not exist"):
        load_spec(tmp_path / "nope.toml")
    bad = write_spec(tmp_path, "[audit\ntitle=1", name="bad.toml")
    with pytest.raises(SpecError, match=r"^spec: bad.toml is not valid TOML"):
        load_spec(bad)


def test_duplicate_choices_rejected(tmp_path: Path) -> None:
    text = with_max_bins(sample_spec_text(), "[15, 15]")
    with pytest.raises(SpecError, match=r"^tuning\.space\.max_bins\.choices: expected distinct choices; got \[15, 15\]$"):
        load_spec(write_spec(tmp_path, text))


def test_unknown_hyperparameter_names_the_estimator_parameters() -> None:
    from auditlens.models import check_params

    with pytest.raises(SpecError, match=r"^tuning\.space\.learnin_rate: not a parameter of HistGradientBoostingClassifier; parameters are categorical_features, class_weight, "):
        check_params("hist_gradient_boosting", ["learning_rate", "learnin_rate"], field="tuning.space")


def _existing_spec(tmp_path: Path, tuning: str, model: str = 'path = "model.skops"', extra: str = "") -> Path:
    text = (
        '[audit]\ntitle = "t"\nmodel_name = "m"\nmodel_version = "1"\nowner = "o"\nintended_use = "u"\n'
        '[data]\npath = "d.csv"\ntarget = "y"\nprotected_attributes = ["age", "sex"]\n'
        f"[model]\n{model}\n[tuning]\n{tuning}\n{extra}"
    )
    return write_spec(tmp_path, text)


@pytest.mark.parametrize(
    ("tuning", "model", "extra", "message"),
    [
        ('results = "r.csv"', 'path = "m.skops"', "", None),
        ('storage = "sqlite:///s.db"\nstudy = "x"', 'path = "m.skops"', "", None),
        ('results = "r.csv"\ntrials = 10', 'path = "m.skops"', "",
         "tuning: expected trials only when auditlens tunes; an existing run (results/storage) records its own settings"),
        ('storage = "sqlite:///s.db"', 'path = "m.skops"', "",
         "tuning: expected storage and study together; got storage='sqlite:///s.db', study=None"),
        ('results = "r.csv"', 'estimator = "random_forest"', "",
         "spec: expected model.path (the fitted model of the existing run); got model.estimator with tuning.results/storage"),
        ('results = "r.csv"', 'path = "m.skops"\nestimator = "random_forest"', "",
         "model: expected exactly one of estimator (tune and fit a model) or path (audit a fitted model file); got both"),
        ('results = "r.csv"', 'path = "m.skops"', '[groups]\nintersections = [["age", "income"]]',
         "spec: expected groups.intersections names among data.protected_attributes ['age', 'sex']; got 'income'"),
        ('results = "r.csv"\nobjective = true', 'path = "m.skops"', "",
         "tuning.objective: Input should be a valid string; got True"),
        ('results = "r.csv"', 'path = "m.skops"\nseed = 3', "",
         "spec: expected no model.seed with model.path: a fitted model is evaluated on every row of data.path, nothing is split or refitted"),
        ('results = "r.csv"', 'path = "m.skops"', '[groups]\nintersections = [["age"]]',
         "groups.intersections: expected lists of two or more distinct attributes; got ['age']"),
    ],
)
def test_existing_run_specs(tmp_path: Path, tuning: str, model: str, extra: str, message: str | None) -> None:
    path = _existing_spec(tmp_path, tuning, model, extra)
    if message is None:
        spec = load_spec(path)
        assert spec.existing and spec.data.positive_class is None
        if spec.tuning.storage:
            assert spec.storage_url == f"sqlite:///{(tmp_path / 's.db').resolve()}"
        return
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(info.value) == message


def test_workers_read_data_needs_a_cluster_and_a_parquet_file(tmp_path: Path) -> None:
    def explain(lines: str) -> Path:
        return write_spec(tmp_path, sample_spec_text().replace("[explain]\n", f"[explain]\n{lines}\n"))

    with pytest.raises(SpecError, match=r"^spec: expected explain\.cluster .* with explain\.workers_read_data = true; got no cluster$"):
        load_spec(explain("workers_read_data = true"))
    with pytest.raises(SpecError, match=r"^spec: expected a Parquet data\.path \(\.parquet\) with explain\.workers_read_data = true; got 'german_credit\.csv'$"):
        load_spec(explain('cluster = "local"\nworkers_read_data = true'))
    assert load_spec(explain('cluster = "local"')).explain.workers_read_data is False
