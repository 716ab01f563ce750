"""HTML rendering: the one Jinja environment, and where the bundled templates live."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from auditlens.errors import RenderError

if TYPE_CHECKING:
    import jinja2

    from auditlens.report.view import ReportView

TEMPLATE = "report.html.j2"


def template_dir() -> Path:
    """The bundled templates: inside the installed package, or the source tree's ``templates/``."""
    packaged = Path(__file__).resolve().parent.parent / "templates"
    if (packaged / TEMPLATE).is_file():
        return packaged
    source_tree = Path(__file__).resolve().parents[3] / "templates"
    if (source_tree / TEMPLATE).is_file():
        return source_tree
    raise RenderError(f"templates: {TEMPLATE} not found in {packaged} or {source_tree}; the installation is incomplete")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The single Jinja environment: autoescape on for every template, undefined names fail.

    ``autoescape=True`` rather than ``select_autoescape``, which would not escape ``*.j2``.
    """
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
    )


def render_html(view: ReportView) -> str:
    """Render the report page from the view model."""
    import jinja2

    try:
        return environment().get_template(TEMPLATE).render(v=view)
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {TEMPLATE}: {exc}") from exc
