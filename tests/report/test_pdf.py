"""Tests of HTML → PDF/A-3b rendering with real WeasyPrint, read back with pikepdf/pypdf."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pikepdf
import pypdf
import pytest

from auditlens.errors import RenderError
from auditlens.report import charts
from auditlens.report.pdf import PdfAttachment, PdfMetadata, _make_fetcher, render_pdf

CREATED = datetime(2025, 3, 14, 9, 26, 53, tzinfo=timezone(timedelta(hours=1)))
META = PdfMetadata(
    title="Audit of credit-model v3",
    author="Model Risk Team",
    subject="Hyperparameter and feature audit",
    keywords=("audit", "fANOVA", "SHAP"),
    created=CREATED,
    language="en-GB",
)
RESULTS = PdfAttachment(
    name="results.json",
    data=json.dumps({"schema_version": 1, "auc": 0.83}).encode(),
    description="Machine-readable audit results",
    mime_type="application/json",
)
PAGE_CSS = """
@page { size: A4; margin: 2cm;
        @bottom-center { content: "Page " counter(page) " of " counter(pages) } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt }
"""


def document(body: str, head: str = "") -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>ignored title</title><style>{PAGE_CSS}</style>{head}</head>"
        f"<body>{body}</body></html>"
    )


def text_of(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def all_stream_bytes(pdf: pikepdf.Pdf) -> bytes:
    """Every stream of the file, decoded: where a leaked file would have to be."""
    chunks = []
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            try:
                chunks.append(obj.read_bytes())
            except pikepdf.PdfError:
                chunks.append(obj.read_raw_bytes())
    return b"\n".join(chunks)


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-page PDF/A-3b with an inline chart and one attachment, rendered once."""
    chart = charts.importance_bar(
        ["learning_rate", "max_depth"], [0.62, 0.21], [0.05, 0.03], alt="Importance chart"
    )
    body = (
        "<h1>Audit report</h1><p>First page.</p>"
        f"<figure>{chart}<figcaption>Hyperparameter importance</figcaption></figure>"
        "<p style='break-before: page'>Second page.</p>"
    )
    out = tmp_path_factory.mktemp("pdf") / "report.pdf"
    render_pdf(document(body), out, metadata=META, attachments=[RESULTS])
    return out


def test_pdfa3b_identification_and_metadata(report_pdf: Path) -> None:
    with pikepdf.open(report_pdf) as pdf:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        assert meta["pdfaid:part"] == "3"
        assert meta["pdfaid:conformance"] == "B"
        assert meta["dc:title"] == META.title
        assert meta["dc:creator"] == [META.author]
        assert meta["dc:description"] == META.subject
        assert meta["pdf:Keywords"] == "audit, fANOVA, SHAP"
        # The run's timestamp, in UTC: never the clock.
        assert meta["xmp:CreateDate"] == "2025-03-14T08:26:53Z"
        assert meta["xmp:ModifyDate"] == "2025-03-14T08:26:53Z"
        info = pdf.docinfo
        assert str(info["/Title"]) == META.title  # the metadata wins over <title>
        assert str(info["/Author"]) == META.author
        assert str(info["/Subject"]) == META.subject
        assert str(info["/CreationDate"]) == "D:20250314082653Z"
        assert str(info["/ModDate"]) == "D:20250314082653Z"
        assert str(pdf.Root.Lang) == "en-GB"
        assert "/OutputIntents" in pdf.Root  # sRGB output intent, required by PDF/A
        assert pdf.pdf_version == "1.7"


def test_attachment_is_embedded_with_explicit_dates(report_pdf: Path) -> None:
    with pikepdf.open(report_pdf) as pdf:
        assert list(pdf.attachments) == ["results.json"]
        spec = pdf.attachments["results.json"]
        assert spec.get_file().read_bytes() == RESULTS.data
        assert spec.description == RESULTS.description
        filespec = spec.obj
        assert filespec.AFRelationship == pikepdf.Name.Source
        stream = filespec.EF.F
        assert stream.Subtype == pikepdf.Name("/application/json")
        assert str(stream.Params.CreationDate) == "D:20250314082653Z"
        assert str(stream.Params.ModDate) == "D:20250314082653Z"
        # PDF/A-3 associated files: listed once in the catalog's /AF.
        assert len(pdf.Root.AF) == 1


def test_page_numbers_and_inline_svg_text(report_pdf: Path) -> None:
    pages = [page.extract_text() for page in pypdf.PdfReader(report_pdf).pages]
    assert len(pages) == 2
    assert "Page 1 of 2" in pages[0] and "Page 2 of 2" in pages[1]
    # Chart labels are text in the PDF: WeasyPrint drew the inline <svg>.
    assert "learning_rate" in pages[0] and "Share of variance" in pages[0]


def test_forbidden_urls_are_not_loaded(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "report.css").write_text("h1::after { content: ' [asset css loaded]' }")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER-7f3a")
    (assets / "escape.css").symlink_to(secret)  # a symlink that leaves assets_dir
    secret_url = secret.as_uri()
    head = (
        '<link rel="stylesheet" href="report.css">'
        '<link rel="attachment" href="file:///etc/hostname">'
        f'<link rel="attachment" href="{secret_url}">'
        '<link rel="attachment" href="data:text/plain,DATA-ATTACHMENT-MARKER">'
        '<link rel="stylesheet" href="escape.css">'
        '<link rel="stylesheet" href="http://127.0.0.1:9/evil.css">'
        "<style>body { background: url(file:///etc/passwd) }"
        f"@import url({secret_url}); h2::before {{ content: url({secret_url}) }}</style>"
    )
    body = (
        "<h1>Report</h1>"
        '<img src="file:///etc/passwd" alt="p">'
        f'<img src="{secret_url}" alt="s">'
        '<img src="../secret.txt" alt="r">'
        '<img src="https://example.invalid/x.png" alt="h">'
        f'<object data="{secret_url}" type="text/plain"></object>'
        f'<a rel="attachment" href="{secret_url}">attached?</a>'
        f'<svg width="20" height="20"><image href="{secret_url}" width="9" height="9"/></svg>'
        "<h2>Section</h2>"
        '<img alt="dot" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ'
        'AAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==">'
    )
    out = tmp_path / "out.pdf"
    render_pdf(document(body, head), out, assets_dir=assets, metadata=META, attachments=[RESULTS])
    text = text_of(out)
    assert "[asset css loaded]" in text  # bundled assets do load
    assert "TOP-SECRET-MARKER" not in text
    assert "root:" not in text  # /etc/passwd
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    with pikepdf.open(out) as pdf:
        # Only the attachment passed through the API; none from the HTML.
        assert list(pdf.attachments) == ["results.json"]
        assert not any(
            annot.get("/Subtype") == pikepdf.Name.FileAttachment
            for page in pdf.pages
            for annot in page.get("/Annots", [])
        )
        raw = all_stream_bytes(pdf)
    assert b"TOP-SECRET-MARKER" not in raw
    assert b"DATA-ATTACHMENT-MARKER" not in raw
    assert b"root:x:0:0" not in raw
    if len(hostname) >= 6:
        assert hostname.encode() not in raw


def test_fetcher_allows_only_data_and_assets(tmp_path: Path) -> None:
    assets = (tmp_path / "assets").resolve()
    (assets / "fonts").mkdir(parents=True)
    (assets / "fonts" / "a.css").write_text("p{}")
    (tmp_path / "outside.css").write_text("secret")
    (assets / "link.css").symlink_to(tmp_path / "outside.css")
    fetcher = _make_fetcher(assets)
    assert fetcher.fetch((assets / "fonts" / "a.css").as_uri()).read() == b"p{}"
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"
    refused = [
        "file:///etc/passwd",
        (tmp_path / "outside.css").as_uri(),
        assets.as_uri() + "/../outside.css",
        assets.as_uri() + "/fonts/%2e%2e/%2e%2e/outside.css",
        (assets / "link.css").as_uri(),
        assets.as_uri(),  # a folder, not a file
        "file://otherhost" + str(assets / "fonts" / "a.css"),
        "http://127.0.0.1:9/x.css",
        "https://example.invalid/x.css",
        "ftp://example.invalid/x",
        "javascript:alert(1)",
    ]
    for url in refused:
        with pytest.raises(ValueError, match="refused to load"):
            fetcher.fetch(url)
    # Without assets_dir, even files are refused.
    with pytest.raises(ValueError, match="refused to load"):
        _make_fetcher(None).fetch((assets / "fonts" / "a.css").as_uri())


def test_byte_identical_across_processes(tmp_path: Path) -> None:
    """Same HTML and metadata → same bytes, in two fresh processes with different TZ."""
    script = textwrap.dedent(
        """
        import sys
        from datetime import UTC, datetime
        import numpy as np
        from auditlens.report import charts
        from auditlens.report.pdf import PdfAttachment, PdfMetadata, render_pdf
        rng = np.random.default_rng(3)
        bees = charts.beeswarm(["a", "b"], rng.normal(size=(400, 2)),
                               rng.uniform(size=(400, 2)), alt="SHAP beeswarm")
        html = ("<html lang=en><head><style>@page { @bottom-center { content: counter(page) "
                "} }</style></head><body><h1>Deterministic</h1>" + bees + "</body></html>")
        meta = PdfMetadata(title="T", author="A", keywords=("k",),
                           created=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC))
        att = PdfAttachment(name="r.json", data=b"{}", description="d",
                            mime_type="application/json")
        render_pdf(html, sys.argv[1], metadata=meta, attachments=[att])
        leaked = sorted(m for m in sys.modules
                        if m.split(".")[0] in ("shap", "optuna", "sklearn"))
        print("LEAKED", leaked)
        """
    )
    outs = [tmp_path / "a.pdf", tmp_path / "b.pdf"]
    procs = []
    for out, tz, epoch in zip(outs, ["UTC", "America/Los_Angeles"], [None, "1"], strict=True):
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        env["TZ"] = tz
        if epoch:
            env["SOURCE_DATE_EPOCH"] = epoch  # ours must win, for the call only
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", script, str(out)],
                env=env,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        )
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        # auditlens.report never pulls in the model-side libraries.
        assert "LEAKED []" in stdout
    assert outs[0].read_bytes() == outs[1].read_bytes()


def test_environment_is_restored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "42")
    render_pdf("<p>x</p>", tmp_path / "x.pdf", metadata=META, pdf_variant=None)
    assert os.environ["SOURCE_DATE_EPOCH"] == "42"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    render_pdf("<p>x</p>", tmp_path / "y.pdf", metadata=META, pdf_variant=None)
    assert "SOURCE_DATE_EPOCH" not in os.environ
    # Same input, same bytes, whatever the caller's environment said.
    assert (tmp_path / "x.pdf").read_bytes() == (tmp_path / "y.pdf").read_bytes()


def test_invalid_variant_fails_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    with pytest.raises(RenderError, match=r"'pdf_variant' must be one of .*Got 'pdf/z-9'") as err:
        render_pdf("<p>x</p>", out, metadata=META, pdf_variant="pdf/z-9")
    assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_partial_file(tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    out.mkdir()  # a folder where the file should go: the final rename fails
    with pytest.raises(RenderError, match="could not render PDF") as err:
        render_pdf("<p>x</p>", out, metadata=META)
    assert "\n" not in str(err.value)
    assert out.is_dir() and list(out.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]  # no temp file left


def test_existing_file_untouched_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    out.write_bytes(b"previous report")
    with pytest.raises(RenderError, match="attachments' need PDF/A-3"):
        render_pdf("<p>x</p>", out, metadata=META, attachments=[RESULTS], pdf_variant="pdf/a-2b")
    assert out.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_metadata_and_attachment_validation() -> None:
    with pytest.raises(ValueError, match="'created' must be a timezone-aware datetime"):
        PdfMetadata(title="T", author="A", created=datetime(2025, 1, 1))
    with pytest.raises(TypeError, match="'keywords' must be a tuple of str"):
        PdfMetadata(title="T", author="A", created=CREATED, keywords=["a"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'name' must be a plain file name"):
        PdfAttachment(name="../x.json", data=b"", description="", mime_type="application/json")
    with pytest.raises(ValueError, match="'mime_type' must be a media type"):
        PdfAttachment(name="x.json", data=b"", description="", mime_type="json")
    with pytest.raises(ValueError, match="'relationship' must be one of"):
        PdfAttachment(
            name="x", data=b"", description="", mime_type="text/plain", relationship="Owner"
        )
    with pytest.raises(RenderError, match="'assets_dir' must be an existing folder"):
        render_pdf("<p/>", "unused.pdf", metadata=META, assets_dir=Path("/no/such/dir"))


def test_ten_chart_page_render_time(tmp_path: Path) -> None:
    """Measures (prints, does not assert) the cost of a page of ten typical charts."""
    rng = np.random.default_rng(0)
    n, k = 5000, 12
    shap, colour = rng.normal(size=(n, k)), rng.uniform(size=(n, k))
    names = [f"feature {i}" for i in range(k)]
    start = time.perf_counter()
    svgs = [
        charts.importance_bar(
            [f"p{i}" for i in range(8)],
            rng.uniform(size=8),
            rng.uniform(size=8) / 10,
            alt="importance",
        ),
        charts.optimisation_history(
            np.arange(300), rng.normal(size=300), direction="minimize", metric="loss", alt="history"
        ),
        charts.marginal_curve(
            np.logspace(-4, 0, 100),
            rng.normal(size=100),
            np.full(100, 0.1),
            param="lr",
            log_scale=True,
            ylabel="loss",
            alt="marginal",
        ),
        charts.marginal_curve(
            None,
            [1, 2, 3],
            [0.1, 0.2, 0.3],
            param="kernel",
            categories=["a", "b", "c"],
            ylabel="loss",
            alt="marginal cat",
        ),
        charts.beeswarm(names, shap, colour, alt="beeswarm"),
        charts.mean_abs_bar(names, np.abs(shap).mean(axis=0), alt="mean abs"),
        charts.dependence(
            rng.normal(size=n),
            shap[:, 0],
            feature="f0",
            colour_values=colour[:, 1],
            colour_label="f1",
            alt="dependence",
        ),
        charts.dependence(
            rng.choice(list("abcdef"), size=n),
            shap[:, 1],
            feature="f1",
            categorical=True,
            alt="dependence cat",
        ),
        charts.calibration(
            np.linspace(0.05, 0.95, 10),
            np.linspace(0.05, 0.95, 10),
            np.full(10, 50),
            alt="calibration",
        ),
        charts.roc_curve(
            np.linspace(0, 1, 500), np.sqrt(np.linspace(0, 1, 500)), auc=0.8, alt="roc"
        ),
    ]
    chart_seconds = time.perf_counter() - start
    body = "".join(f"<figure>{svg}</figure>" for svg in svgs)
    out = tmp_path / "ten.pdf"
    start = time.perf_counter()
    render_pdf(document(body), out, metadata=META)
    render_seconds = time.perf_counter() - start
    pages = len(pypdf.PdfReader(out).pages)
    print(
        f"\n10 charts: {chart_seconds:.2f} s to draw, {sum(map(len, svgs)) / 1024:.0f} KB SVG; "
        f"PDF/A-3b render {render_seconds:.2f} s, {out.stat().st_size / 1024:.0f} KB, "
        f"{pages} pages"
    )
    assert pages >= 2
    assert "Page 1 of" in pypdf.PdfReader(out).pages[0].extract_text()
