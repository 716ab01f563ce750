"""Tests of the inline SVG charts: valid, accessible, deterministic, safe, small."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

import matplotlib
import numpy as np
import pytest

from auditlens.report import charts

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
SVG = f"{{{SVG_NS}}}"
EVIL = "<script>alert(1)</script>"
ALT = 'Chart "alt" <with> & specials'

RNG = np.random.default_rng(7)
N, K = 400, 4
SHAP = RNG.normal(size=(N, K))
COLOUR = RNG.uniform(size=(N, K))
COLOUR[:, 2] = np.nan  # a categorical feature: grey dots
X_NUM = RNG.normal(size=N)
HISTORY = np.r_[RNG.normal(size=45), [np.nan] * 5]

Builder = Callable[[str], str]

# One ordinary call per public function.
BUILDERS: dict[str, Builder] = {
    "importance_bar": lambda alt: charts.importance_bar(
        ["learning_rate", "max_depth", "n_estimators"], [0.5, 0.3, 0.1], [0.05, 0.02, 0.01], alt=alt
    ),
    "interaction_bar": lambda alt: charts.importance_bar(
        ["learning_rate × max_depth"], [0.12], [0.03], alt=alt, xlabel="Share (pairs)"
    ),
    "mean_abs_bar": lambda alt: charts.mean_abs_bar(["age", "income"], [0.4, 0.2], alt=alt),
    "optimisation_history": lambda alt: charts.optimisation_history(
        np.arange(50), HISTORY, direction="maximize", metric="AUC", alt=alt
    ),
    "marginal_numeric": lambda alt: charts.marginal_curve(
        np.logspace(-4, 0, 30),
        np.sin(np.arange(30) / 5),
        np.full(30, 0.1),
        param="lr",
        log_scale=True,
        ylabel="AUC",
        alt=alt,
    ),
    "marginal_categorical": lambda alt: charts.marginal_curve(
        None,
        [0.7, 0.8, 0.75],
        [0.01, 0.02, 0.01],
        param="kernel",
        categories=["rbf", "linear", "poly"],
        ylabel="AUC",
        alt=alt,
    ),
    "beeswarm": lambda alt: charts.beeswarm(["a", "b", "c", "d"], SHAP, COLOUR, alt=alt),
    "dependence_numeric": lambda alt: charts.dependence(
        X_NUM, SHAP[:, 0], feature="age", colour_values=COLOUR[:, 1], colour_label="income", alt=alt
    ),
    "dependence_categorical": lambda alt: charts.dependence(
        np.array(["red", "green", "blue", "x" * 45])[np.arange(N) % 4],
        SHAP[:, 1],
        feature="colour",
        categorical=True,
        alt=alt,
    ),
    "calibration": lambda alt: charts.calibration(
        np.linspace(0.05, 0.95, 10), np.linspace(0.05, 0.95, 10) ** 1.2, np.arange(10) + 5, alt=alt
    ),
    "roc_curve": lambda alt: charts.roc_curve(
        np.linspace(0, 1, 50), np.sqrt(np.linspace(0, 1, 50)), auc=0.83, alt=alt
    ),
}

# Edge cases: (builder, expects the "no data" placeholder).
EMPTY: dict[str, Builder] = {
    "importance_bar": lambda alt: charts.importance_bar([], [], [], alt=alt),
    "mean_abs_bar": lambda alt: charts.mean_abs_bar([], [], alt=alt),
    "optimisation_history": lambda alt: charts.optimisation_history(
        [], [], direction="minimize", metric="loss", alt=alt
    ),
    "marginal_numeric": lambda alt: charts.marginal_curve(
        [], [], [], param="lr", log_scale=True, ylabel="AUC", alt=alt
    ),
    "marginal_categorical": lambda alt: charts.marginal_curve(
        None, [], [], param="k", categories=[], ylabel="AUC", alt=alt
    ),
    "beeswarm": lambda alt: charts.beeswarm([], np.zeros((0, 0)), np.zeros((0, 0)), alt=alt),
    "beeswarm_no_rows": lambda alt: charts.beeswarm(
        ["a"], np.zeros((0, 1)), np.zeros((0, 1)), alt=alt
    ),
    "dependence": lambda alt: charts.dependence([], [], feature="f", alt=alt),
    "calibration": lambda alt: charts.calibration([], [], [], alt=alt),
    "roc_curve": lambda alt: charts.roc_curve([], [], auc=float("nan"), alt=alt),
}
ALL_NAN: dict[str, Builder] = {
    "importance_bar": lambda alt: charts.importance_bar(
        ["a", "b"], [np.nan, np.nan], None, alt=alt
    ),
    "optimisation_history": lambda alt: charts.optimisation_history(
        [0, 1, 2], [np.nan] * 3, direction="maximize", metric="AUC", alt=alt
    ),
    "marginal_numeric": lambda alt: charts.marginal_curve(
        [1, 2], [np.nan, np.nan], [np.nan, np.nan], param="x", ylabel="y", alt=alt
    ),
    "beeswarm": lambda alt: charts.beeswarm(
        ["a"], np.full((5, 1), np.nan), np.full((5, 1), np.nan), alt=alt
    ),
    "dependence": lambda alt: charts.dependence([np.nan] * 3, [np.nan] * 3, feature="f", alt=alt),
    "calibration": lambda alt: charts.calibration([np.nan], [np.nan], [np.nan], alt=alt),
    "roc_curve": lambda alt: charts.roc_curve([np.nan], [np.nan], auc=0.5, alt=alt),
}
SINGLE: dict[str, Builder] = {
    "importance_bar": lambda alt: charts.importance_bar(["a"], [0.4], [0.1], alt=alt),
    "optimisation_history": lambda alt: charts.optimisation_history(
        [0], [0.5], direction="minimize", metric="loss", alt=alt
    ),
    "marginal_numeric": lambda alt: charts.marginal_curve(
        [0.01], [0.5], [0.1], param="lr", log_scale=True, ylabel="AUC", alt=alt
    ),
    "marginal_categorical": lambda alt: charts.marginal_curve(
        None, [0.5], [0.1], param="k", categories=["only"], ylabel="AUC", alt=alt
    ),
    "beeswarm": lambda alt: charts.beeswarm(["a"], [[0.3]], [[0.5]], alt=alt),
    "dependence": lambda alt: charts.dependence([1.0], [0.3], feature="f", alt=alt),
    "dependence_categorical": lambda alt: charts.dependence(
        ["a"], [0.3], feature="f", categorical=True, alt=alt
    ),
    "calibration": lambda alt: charts.calibration([0.5], [0.4], [10], alt=alt),
    "roc_curve": lambda alt: charts.roc_curve([0.2], [0.7], auc=0.75, alt=alt),
}


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    return root


def all_text(root: ET.Element) -> str:
    return " ".join("".join(el.itertext()) for el in root.iter(SVG + "text"))


def assert_well_formed(svg: str, alt: str) -> ET.Element:
    """The properties every chart must have, whatever its data."""
    assert svg.startswith("<svg")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-label") == alt
    title = root.find(SVG + "title")
    assert title is not None and title.text == alt
    assert root.get("aria-labelledby") == title.get("id")
    # Scales with its container.
    assert root.get("width") == "100%" and root.get("viewBox")
    assert root.get("height") is None
    # No scripts or event handlers.
    assert "<script" not in svg.lower() and "javascript:" not in svg.lower()
    assert not re.search(r"\son[a-z]+\s*=", svg)
    # Any URL is one of the two namespace declarations; nothing else is referenced.
    for match in re.finditer(r"https?://[^\s\"'<>)]+", svg):
        assert match.group(0) in (SVG_NS, XLINK_NS), match.group(0)
        assert svg[: match.start()].rstrip().endswith(('xmlns="', 'xmlns:xlink="')), match.group(0)
    for ref in re.findall(r'href="([^"#][^"]*)"', svg):
        assert ref.startswith("data:image/png;base64,"), ref[:60]
    # ids are unique and every #reference resolves inside the chart.
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    refs = re.findall(r'href="#([^"]+)"', svg) + re.findall(r"url\(#([^)]+)\)", svg)
    assert set(refs) <= set(ids)
    return root


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_chart_is_valid_accessible_and_deterministic(name: str) -> None:
    svg = BUILDERS[name](ALT)
    root = assert_well_formed(svg, ALT)
    assert "No data" not in all_text(root)
    # Byte-identical for identical input (fixed hash salt, no date, seeded subsampling).
    assert BUILDERS[name](ALT) == svg
    # Text stays text (svg.fonttype="none"): labels are searchable.
    assert all_text(root).strip()
    assert len(svg) < 300_000


@pytest.mark.parametrize(
    ("cases", "name"),
    [(EMPTY, n) for n in sorted(EMPTY)] + [(ALL_NAN, n) for n in sorted(ALL_NAN)],
    ids=[f"empty-{n}" for n in sorted(EMPTY)] + [f"allnan-{n}" for n in sorted(ALL_NAN)],
)
def test_no_data_gives_a_placeholder_chart(cases: dict[str, Builder], name: str) -> None:
    svg = cases[name]("Nothing here")
    root = assert_well_formed(svg, "Nothing here")
    assert "No data" in all_text(root)


@pytest.mark.parametrize("name", sorted(SINGLE))
def test_single_point(name: str) -> None:
    root = assert_well_formed(SINGLE[name]("one"), "one")
    assert "No data" not in all_text(root)


def test_charts_do_not_touch_global_rcparams() -> None:
    before = dict(matplotlib.rcParams)
    BUILDERS["beeswarm"]("x")
    assert dict(matplotlib.rcParams) == before


def test_ids_differ_between_charts_so_they_can_share_a_page() -> None:
    first = parse(BUILDERS["importance_bar"]("a"))
    second = parse(BUILDERS["roc_curve"]("b"))
    ids_1 = {el.get("id") for el in first.iter() if el.get("id")}
    ids_2 = {el.get("id") for el in second.iter() if el.get("id")}
    assert not ids_1 & ids_2
    # The style block of matplotlib is scoped to its own chart, not to the whole page.
    style = first.find(f"{SVG}defs/{SVG}style")
    assert style is not None and style.text.startswith(f"#{first.get('id')} *")


def test_user_text_is_escaped_not_markup() -> None:
    svgs = [
        charts.importance_bar([EVIL, "ok"], [0.3, 0.2], None, alt=EVIL),
        charts.beeswarm([EVIL], SHAP[:, :1], COLOUR[:, :1], alt="swarm"),
        charts.dependence(SHAP[:, 0], SHAP[:, 1], feature=EVIL, alt="dep"),
        charts.dependence(
            [EVIL, "b"] * 5, np.arange(10.0), feature="f", categorical=True, alt="dep"
        ),
        charts.marginal_curve(
            None, [1.0], [0.1], param=EVIL, categories=[EVIL], ylabel=EVIL, alt="m"
        ),
        charts.optimisation_history([0, 1], [1.0, 2.0], direction="maximize", metric=EVIL, alt="h"),
    ]
    for svg in svgs:
        root = assert_well_formed(svg, parse(svg).get("aria-label"))
        assert not [el for el in root.iter() if el.tag.endswith("script")]
        assert "&lt;script&gt;" in svg
        assert EVIL in all_text(root) or EVIL in (root.findtext(SVG + "title") or "")


def test_dollar_signs_stay_literal() -> None:
    # Feature names are data: "$x$" must not be turned into mathtext.
    root = parse(charts.importance_bar(["$income$", "cost_$"], [0.2, 0.1], None, alt="a"))
    assert "$income$" in all_text(root) and "cost_$" in all_text(root)


def test_long_labels_are_shortened_with_ellipsis() -> None:
    long_name = "a_really_long_feature_name_that_goes_on_and_on"
    svg = charts.importance_bar([long_name], [0.3], None, alt=f"Importance of {long_name}")
    text = all_text(parse(svg))
    assert long_name[:29] + "…" in text
    assert long_name not in text
    assert parse(svg).get("aria-label").endswith(long_name)  # the alt text keeps it whole


def test_many_categories_fold_into_other() -> None:
    values = [f"cat{i:02d}" for i in range(45)] * 3
    svg = charts.dependence(values, np.arange(135.0), feature="f", categorical=True, alt="c")
    assert "Other (16 categories)" in all_text(parse(svg))


@pytest.mark.parametrize("name", ["beeswarm", "dependence"])
def test_100k_points_stay_small(name: str) -> None:
    # Issue 4: a chart of 100,000 explained rows x 20 features stays small, says what it
    # draws, and is the same bytes for the same input.
    rng = np.random.default_rng(0)
    n, k = 100_000, 20
    shap = rng.normal(size=(n, k)) * np.linspace(2, 0.2, k)
    colour = rng.uniform(size=(n, k))
    x = rng.normal(size=n)

    def build() -> str:
        if name == "beeswarm":
            return charts.beeswarm([f"feature_{i}" for i in range(k)], shap, colour, alt="big")
        return charts.dependence(
            x, shap[:, 0], feature="f", colour_values=colour[:, 0], colour_label="g", alt="big"
        )

    svg = build()
    note = "2,000 of 100,000 rows shown (random sample, seed 0)"
    assert_well_formed(svg, f"big. {note[0].upper()}{note[1:]}.")
    assert note in all_text(parse(svg))
    print(f"{name} with 100,000 rows: {len(svg) / 1024:.0f} KB")
    assert len(svg) < 200_000
    # The dense point layer is one embedded image, not thousands of vector markers.
    assert svg.count("<use") < 100
    # (the point layer and the colour bar)
    assert svg.count("data:image/png;base64,") == 2
    assert build() == svg


def test_no_sample_note_when_every_row_is_drawn() -> None:
    rng = np.random.default_rng(2)
    shap, colour = rng.normal(size=(600, 2)), rng.uniform(size=(600, 2))
    svg = charts.beeswarm(["a", "b"], shap, colour, alt="all", max_points=600)
    assert_well_formed(svg, "all")
    assert "rows shown" not in all_text(parse(svg))
    svg = charts.dependence(shap[:, 0], shap[:, 1], feature="a", alt="all", max_points=599, seed=3)
    assert_well_formed(svg, "all. 599 of 600 rows shown (random sample, seed 3).")


def test_subsample_depends_on_seed_only() -> None:
    rng = np.random.default_rng(1)
    shap, colour = rng.normal(size=(5000, 2)), rng.uniform(size=(5000, 2))
    first = charts.beeswarm(["a", "b"], shap, colour, alt="s", max_points=300, seed=1)
    assert charts.beeswarm(["a", "b"], shap, colour, alt="s", max_points=300, seed=1) == first
    assert charts.beeswarm(["a", "b"], shap, colour, alt="s", max_points=300, seed=2) != first


def test_bad_input_names_the_parameter() -> None:
    with pytest.raises(ValueError, match="'errors' must have the length of 'labels'"):
        charts.importance_bar(["a", "b"], [1, 2], [0.1], alt="x")
    with pytest.raises(ValueError, match="'direction' must be 'maximize' or 'minimize'"):
        charts.optimisation_history([0], [1], direction="up", metric="m", alt="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'shap_values' must be a 2-D array with 2 columns"):
        charts.beeswarm(["a", "b"], np.zeros((3, 3)), np.zeros((3, 3)), alt="x")
    with pytest.raises(ValueError, match=r"'x' must contain numbers .*categorical=True"):
        charts.dependence(["a", "b"], [0.1, 0.2], feature="f", alt="x")
    with pytest.raises(ValueError, match="'max_points' must be an int >= 1"):
        charts.beeswarm(["a"], [[0.1]], [[0.1]], alt="x", max_points=0)


def test_print_sizes() -> None:
    """Not an assertion: records typical sizes in the test log (`pytest -s`)."""
    sizes = {name: len(build("alt")) for name, build in BUILDERS.items()}
    print("SVG sizes (KB):", {k: round(v / 1024, 1) for k, v in sizes.items()})
    assert all(size < 300_000 for size in sizes.values())


def test_share_bars_read_in_percent_and_tiny_shares_say_so() -> None:
    svg = charts.importance_bar(["lr", "depth", "bins"], [0.483, 4.5e-31, 3.1e-07], [0.2, 0.0, 1e-9], alt="x", share=True)
    texts = re.findall(r">([^<>]+)</text>", svg)
    assert texts.count("48.3%") == 1 and texts.count("&lt; 0.1%") == 2
    assert "e-31" not in svg and "e-07" not in svg
    assert {"0%", "20%", "40%"} <= set(texts)  # the axis reads in percent too
    plain = charts.importance_bar(["a"], [4.5e-31], None, alt="x")  # not shares: the number as it is
    assert "4.5e-31" in plain
