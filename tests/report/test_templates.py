"""Branding templates (`--templates DIR`): they override blocks, run sandboxed, fetch nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pikepdf
import pytest
from sample_helpers import ROOT

from auditlens.cli import main
from auditlens.errors import RenderError
from auditlens.report.html import render_html
from auditlens.report.view import build_view
from auditlens.results import AuditResult

BRANDING = ROOT / "samples" / "branding"
_SAMPLE = (BRANDING / "report.html.j2").read_text()
LOGO_LINE = _SAMPLE[: _SAMPLE.index("{% block logo %}")].count("\n") + 1


@pytest.fixture(scope="module")
def view(small_run: Path):  # type: ignore[no-untyped-def]
    return build_view(AuditResult.load(small_run / "results.json"), report_id="AL-TEST")


def branding_copy(tmp_path: Path, *, logo_block: str | None = None, extra: str = "") -> Path:
    folder = tmp_path / "branding"
    shutil.copytree(BRANDING, folder)
    text = (folder / "report.html.j2").read_text()
    if logo_block is not None:
        start = text.index("{% block logo %}")
        end = text.index("{% endblock %}", start) + len("{% endblock %}")
        text = text[:start] + "{% block logo %}" + logo_block + "{% endblock %}" + text[end:]
    (folder / "report.html.j2").write_text(text + extra)
    return folder


def test_sample_branding_overrides_blocks(view) -> None:  # type: ignore[no-untyped-def]
    plain = render_html(view)
    html = render_html(view, templates=BRANDING)
    assert '<img class="brand-logo" src="data:image/svg+xml;base64,' in html
    assert "--accent: #006d5b" in html and "--accent: #006d5b" not in plain
    assert '<section id="bank-approval">' in html and "AL-TEST" in html
    # The extra section is listed in the contents before the appendix, as it appears.
    toc = html[html.index('<nav class="toc"'):html.index("</nav>")]
    assert toc.index("#bank-approval") < toc.index("#regulatory-mapping") and toc.index("#sign-off") < toc.index("#bank-approval")
    # Everything else is the bundled report.
    for section in view.sections:
        assert f'<section id="{section.id}">' in html


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("{{ ''.__class__.__mro__ }}", "template report.html.j2, line {line}: access to attribute '__class__' of 'str' object is unsafe."),
        ("{{ (v.sections | list).append(1) }}", "template report.html.j2, line {line}: access to attribute 'append' of 'list' object is unsafe."),
        ("{{ cycler.__init__.__globals__ }}", "template report.html.j2, line {line}: access to attribute '__init__' of 'type' object is unsafe."),
        ("{% include '/etc/passwd' %}", "template report.html.j2, line {line}: expected a template in the --templates folder or 'auditlens/...'; '/etc/passwd' not found"),
        ("{{ asset('../../../../etc/passwd') }}", "asset(): expected a file inside "),
        ("{{ asset('report.html.j2') }}", "asset(): expected an image (.gif, .jpeg, .jpg, .png, .svg, .webp); got 'report.html.j2'"),
        ("{{ v.title.upper( }}", "template report.html.j2, line {line}: unexpected '}', expected ')'"),
    ],
)
def test_unsafe_or_broken_templates_fail_with_one_line(view, tmp_path: Path, block: str, message: str) -> None:  # type: ignore[no-untyped-def]
    folder = branding_copy(tmp_path, logo_block=block)
    with pytest.raises(RenderError) as info:
        render_html(view, templates=folder)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(message.replace("{line}", str(LOGO_LINE))), text


def test_cli_sandbox_violation_exits_2_without_output(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = branding_copy(tmp_path, logo_block="{{ ''.__class__.__mro__ }}")
    out = tmp_path / "out"
    assert main(["render", str(small_run / "results.json"), "--out", str(out), "--templates", str(folder), "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"auditlens: error: template report.html.j2, line {LOGO_LINE}: access to attribute '__class__' of 'str' object is unsafe."
    )
    assert not out.exists() and not list(tmp_path.glob(".out.partial*"))
    assert main(["render", str(small_run / "results.json"), "--out", str(out), "--templates", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"auditlens: error: --templates: expected a folder containing report.html.j2; got '{tmp_path / 'none'}', which is not a folder"
    )


@pytest.mark.long  # minutes of work: see pyproject.toml
def test_branded_pdf_fetches_nothing_and_verifies(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A branding template that tries to load local files and URLs: the PDF renderer refuses."""
    folder = tmp_path / "branding"
    folder.mkdir()
    shutil.copy(BRANDING / "logo.svg", folder / "logo.svg")
    (folder / "notes.txt").write_text("hashed with the templates, like every file here")
    (folder / "report.html.j2").write_text(
        '{% extends "auditlens/report.html.j2" %}'
        "{% block logo %}<img src=\"{{ asset('logo.svg') }}\" alt=\"logo\">{% endblock %}"
        '{% block extra_sections %}<section id="x"><h2>Hostile</h2>'
        '<img src="file:///etc/passwd" alt="a"><img src="http://127.0.0.1:9/pixel.png" alt="b">'
        '<link rel="attachment" href="file:///etc/passwd"><a rel="attachment" href="file:///etc/hostname">x</a>'
        '<div style="background: url(file:///etc/passwd)">y</div></section>{% endblock %}'
    )
    out = tmp_path / "out"
    assert main(["render", str(small_run / "results.json"), "--out", str(out), "--format", "pdf",
                 "--templates", str(folder), "--quiet"]) == 0
    with pikepdf.open(out / "report.pdf") as pdf:
        assert sorted(pdf.attachments) == ["manifest.json", "results.json", "trials.csv"]
        streams = b"\n".join(o.read_bytes() for o in pdf.objects if isinstance(o, pikepdf.Stream))
    assert Path("/etc/passwd").read_bytes().splitlines()[0] not in streams
    capsys.readouterr()
    assert main(["verify", str(out / "report.pdf"), "--templates", str(folder)]) == 0
    assert "ok       templates: 3 file(s) in branding/ match the manifest" in capsys.readouterr().out
    (folder / "logo.svg").write_text((folder / "logo.svg").read_text().replace("Sample Bank", "Other Bank"))
    assert main(["verify", str(out / "report.pdf"), "--templates", str(folder)]) == 1
    assert "MISMATCH templates: branding/ differs from the templates recorded: logo.svg" in capsys.readouterr().out
