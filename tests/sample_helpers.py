"""Helpers for tests that use the German credit sample."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "samples" / "german-credit"
SAMPLE_SPEC = SAMPLE_DIR / "audit.toml"
SAMPLE_DATA = SAMPLE_DIR / "german_credit.csv"


def sample_spec_text(**overrides: str) -> str:
    """The sample spec with the data path made absolute and `key = value` lines replaced."""
    text = SAMPLE_SPEC.read_text()
    text = text.replace('path = "german_credit.csv"', f'path = "{SAMPLE_DATA.as_posix()}"')
    for key, value in overrides.items():
        text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
        assert n == 1, key
    return text


def with_max_bins(text: str, choices: str = "[15, 63, 255]") -> str:
    """The spec text with a categorical hyperparameter (max_bins) added to its search space."""
    extra = f'[tuning.space.max_bins]\ntype = "categorical"\nchoices = {choices}\n\n'
    return text.replace("[importance]", extra + "[importance]", 1)


def write_spec(folder: Path, text: str, name: str = "audit.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path
