"""Hostile user text through the whole pipeline: a tiny real audit, its HTML and PDF inspected.

The data has a column named ``<script>alert(1)</script>`` with a category value that is an
HTML tag, the file name has markup in it, and the spec's free-text fields carry
``<img src="file:///etc/passwd">``, ``<link rel="attachment" ...>``, a URL to a local port
and ``{{ 7*7 }}``. Every one must come out as text: in the HTML, in the PDF's text, and never
as a loaded file, a fetched URL, an extra attachment or an evaluated expression.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pikepdf
import pypdf
import pytest

from auditlens.cli import main
from auditlens.results import AuditResult

SCRIPT_COLUMN = "<script>alert(1)</script>"
TAG_VALUE = "<img src=x onerror=alert(1)>"
JINJA = "{{ 7*7 }}"
FILE_IMG = '<img src="file:///etc/passwd">'
ATTACH = '<link rel="attachment" href="file:///etc/passwd">'
HTTP_IMG = '<img src="http://127.0.0.1:9/pixel.png">'
DATA_NAME = "credit<b>.csv"


def tiny_csv(path: Path, *, flip: bool = False) -> Path:
    rng = np.random.default_rng(0)
    n = 160
    x = rng.normal(size=n)
    group = np.where(rng.random(n) < 0.5, TAG_VALUE, "plain")
    y = np.where(x + (group == "plain") * 0.8 + rng.normal(scale=0.8, size=n) > 0.4, "bad", "good")
    lines = [f'income,"{SCRIPT_COLUMN}",outcome']
    lines += [f'{a:.4f},"{g}",{t}' for a, g, t in zip(x, group, y)]
    text = "\n".join(lines) + "\n"
    if flip:  # one byte: the first digit of the first row
        i = text.index("\n") + 2
        text = text[:i] + ("1" if text[i] != "1" else "2") + text[i + 1:]
    path.write_text(text)
    return path


def tiny_spec(folder: Path, data: Path, *, formats: str = '["html", "pdf", "json"]') -> Path:
    spec = folder / "audit.toml"
    spec.write_text(f'''
[audit]
title = "{SCRIPT_COLUMN} {JINJA}"
model_name = "tiny"
model_version = "0.1"
owner = "{JINJA}"
intended_use = '{FILE_IMG}'
known_limitations = ['{ATTACH}']
timestamp = "2026-01-31T12:00:00Z"

[[audit.sign_off]]
name = "<iframe src='file:///etc/passwd'></iframe>"
role = "validator"

[data]
path = "{data.name}"
target = "outcome"
positive_class = "bad"
protected_attributes = ["{SCRIPT_COLUMN}"]

[model]
estimator = "logistic_regression"

[tuning]
trials = 3
cv_folds = 2

[tuning.space.C]
type = "float"
low = 0.01
high = 10.0
log = true

[importance]
surrogate = "random_forest"  # 3 trials: too few for the boosted surrogate
n_trees = 4

[explain]
background_size = 10
max_rows = 20
decisions_to_review = 2
dependence_plots = 2

[report]
formats = {formats}

[compliance]
human_oversight = '{HTTP_IMG}'
post_market_monitoring = "{JINJA}"
''')
    return spec


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    data = tiny_csv(folder / DATA_NAME)
    spec = tiny_spec(folder, data)
    out = folder / "out"
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 0
    return out


def test_html_shows_user_text_as_text(hostile_run: Path) -> None:
    html = (hostile_run / "report.html").read_text()
    lowered = html.lower()
    for tag in ("<script", "<iframe", "<img src=x", '<img src="file:', '<img src="http:', "<link rel"):
        assert tag not in lowered, tag
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the category value, in the data table
    assert "credit&lt;b&gt;.csv" in html
    assert JINJA in html and "{{" not in html.replace(JINJA, "")
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in html


def test_pdf_has_user_text_and_nothing_fetched(hostile_run: Path) -> None:
    pdf_path = hostile_run / "report.pdf"
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(pdf_path).pages).split())
    assert SCRIPT_COLUMN in text
    assert JINJA in text
    assert 'src="file:///etc/passwd"' in text  # the intended use, shown as text
    with pikepdf.open(pdf_path) as pdf:
        assert sorted(pdf.attachments) == ["manifest.json", "results.json", "trials.csv"]
        streams = b"\n".join(
            obj.read_bytes() for obj in pdf.objects if isinstance(obj, pikepdf.Stream)
        )
    first_line = Path("/etc/passwd").read_bytes().splitlines()[0]
    assert first_line not in streams


def test_charts_escape_column_names(hostile_run: Path) -> None:
    result = AuditResult.load(hostile_run / "results.json")
    assert SCRIPT_COLUMN in result.feature_effects.features
    html = (hostile_run / "report.html").read_text()
    # Inside the inline SVGs too: the column name is text, never an element.
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
        assert "<script" not in svg.lower()


def test_one_input_byte_changes_the_report_id(tmp_path: Path) -> None:
    import json

    ids = []
    for flip in (False, True):
        folder = tmp_path / f"flip-{flip}"
        folder.mkdir()
        data = tiny_csv(folder / DATA_NAME, flip=flip)
        spec = tiny_spec(folder, data, formats='["json"]')
        assert main(["run", str(spec), "--out", str(folder / "out"), "--quiet"]) == 0
        ids.append(json.loads((folder / "out" / "manifest.json").read_text())["report_id"])
    a, b = (tmp_path / f"flip-{f}" / DATA_NAME for f in (False, True))
    assert sum(x != y for x, y in zip(a.read_bytes(), b.read_bytes())) == 1
    assert ids[0] != ids[1]
