from __future__ import annotations

from pathlib import Path

import pytest
from sample_helpers import SAMPLE_DATA

from auditlens.dataset import load_dataset
from auditlens.errors import DataError


def _load(path: Path = SAMPLE_DATA, **kw):  # type: ignore[no-untyped-def]
    args = dict(target="creditability", positive_class="bad", test_fraction=0.25, split_seed=42)
    args.update(kw)
    return load_dataset(path, **args)


def test_split_is_stratified_and_seeded() -> None:
    ds = _load()
    assert len(ds.X_train) == 750 and len(ds.X_test) == 250
    assert ds.y_test.sum() == 75  # 30% 'bad', stratified
    assert len(ds.numeric) == 7 and len(ds.categorical) == 13
    assert ds.sha256 == "2c0bae00275c028fc853a1ea72cc7a68002c3f6876c41300c5c948711540c8c6"
    again = _load()
    assert (again.X_test.index == ds.X_test.index).all()


def test_missing_target_lists_columns() -> None:
    with pytest.raises(DataError, match=r"^data\.target: column 'creditabilty' not in german_credit\.csv; columns are status_of_existing_checking_account, duration_in_month, "):
        _load(target="creditabilty")


def test_positive_class_not_a_label() -> None:
    with pytest.raises(DataError, match=r"^data\.positive_class: 'Bad' is not a label of 'creditability'; labels are 'bad', 'good'$"):
        _load(positive_class="Bad")


def test_protected_attribute_missing() -> None:
    with pytest.raises(DataError, match=r"^data\.protected_attributes: column 'sex' not in german_credit\.csv"):
        _load(protected_attributes=("sex",))


def test_empty_and_unsupported_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match=r"^data\.path: empty\.csv is empty$"):
        _load(empty)
    other = tmp_path / "data.xlsx"
    other.write_text("x")
    with pytest.raises(DataError, match=r"^data\.path: expected a \.csv or \.parquet file; got 'data\.xlsx'$"):
        _load(other)
    with pytest.raises(DataError, match=r"does not exist"):
        _load(tmp_path / "missing.csv")


def test_non_binary_target(tmp_path: Path) -> None:
    path = tmp_path / "three.csv"
    path.write_text("x,y\n1,a\n2,b\n3,c\n4,a\n")
    with pytest.raises(DataError, match=r"^data\.target: expected a binary label; column 'y' has 3 distinct values \(a, b, c\)$"):
        load_dataset(path, target="y", positive_class="a", test_fraction=0.5, split_seed=0)
