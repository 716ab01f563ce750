"""The check catalogue: documented in the README, every threshold sourced, settings validated."""

from __future__ import annotations

import pytest
from sample_helpers import ROOT

from auditlens.checks import CATALOGUE, FAMILIES, catalogue_markdown, normalize_settings
from auditlens.errors import SpecError
from auditlens.report.compliance import CHECKS_BY_ITEM


def test_readme_lists_the_catalogue_as_the_code_defines_it() -> None:
    assert catalogue_markdown() in (ROOT / "README.md").read_text()


def test_every_threshold_has_a_source_and_a_default_inside_its_range() -> None:
    assert len(CATALOGUE) >= 27 and set(FAMILIES) == {c.split(".")[0] for c in CATALOGUE}
    for chk in CATALOGUE.values():
        for name, p in chk.params.items():
            assert p.source and p.meaning and p.low <= p.default <= p.high, (chk.id, name)


def test_the_four_fifths_rule_is_cited() -> None:
    assert "29 CFR 1607.4(D)" in CATALOGUE["groups.four_fifths"].params["min_ratio"].source


def test_regulatory_citations_name_real_checks() -> None:
    for keys in CHECKS_BY_ITEM.values():
        for key in keys:
            assert key in CATALOGUE or (key.endswith(".") and key[:-1] in FAMILIES), key


def test_settings_forms_and_errors() -> None:
    nested = normalize_settings({"groups": {"four_fifths": {"min_ratio": 0.9, "severity": "low"}}})
    dotted = normalize_settings({"groups.four_fifths": {"min_ratio": 0.9, "severity": "low"}})
    assert nested == dotted == {"groups.four_fifths": {"min_ratio": 0.9, "severity": "low"}}
    assert normalize_settings({"disable": ["data.class_imbalance"]}) == {"data.class_imbalance": {"enabled": False}}
    for bad, message in [
        ({"disable": "data.class_imbalance"}, "checks.disable: expected a list of check ids"),
        ({"groups": {"four_fifths": {"min_ratio": True}}}, "checks.groups.four_fifths.min_ratio: expected a number"),
        ({"groups": {"four_fifths": {"enabled": "no"}}}, "checks.groups.four_fifths.enabled: expected true or false"),
        ({"nonsense": {}}, "checks.nonsense: unknown check 'nonsense'"),
        ({"groups.four_fifths": 3}, "checks.groups.four_fifths: expected a table of settings"),
    ]:
        with pytest.raises(SpecError, match="^" + message.replace("(", r"\(").replace(".", r"\.")):
            normalize_settings(bad)
