"""HTML rendering: the one Jinja environment, and where the templates live.

Every report is rendered in Jinja's ``ImmutableSandboxedEnvironment`` with ``autoescape=True``
and ``StrictUndefined``: the bundled template needs nothing the sandbox forbids, so branding
templates (``--templates DIR``) run under exactly the same rules. The sandbox refuses
attribute access such as ``''.__class__.__mro__`` and any call that mutates data; autoescape
turns user text (titles, column names, category values) into text, never markup.

Templates are named:

- ``auditlens/report.html.j2``, ``auditlens/style.css``: the bundled templates (the prefix
  keeps a branding folder from shadowing them);
- ``report.html.j2`` in a branding folder: the entry point, which normally starts with
  ``{% extends "auditlens/report.html.j2" %}`` and overrides the blocks ``logo``,
  ``extra_style``, ``extra_toc`` and ``extra_sections``.

Images for a branding template come from its own folder through ``asset("logo.svg")``, which
returns a ``data:`` URI, so the HTML stays self-contained and the PDF renderer fetches nothing.

Example:
    >>> html = render_html(view)  # doctest: +SKIP
    >>> html = render_html(view, templates=Path("samples/branding"))  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import traceback
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from auditlens.errors import RenderError, SpecError
from auditlens.paths import confined
from auditlens.provenance import templates_digest
from auditlens.report.text import neutralise_bidi, shown

if TYPE_CHECKING:
    from auditlens.diff.view import DiffView
    from auditlens.report.view import ReportView

TEMPLATE = "report.html.j2"
BUNDLED_PREFIX = "auditlens"
CUSTOM_PREFIX = "custom"
ASSET_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
MAX_ASSET_BYTES = 2_000_000


def template_dir() -> Path:
    """The bundled templates: inside the installed package, or the source tree's ``templates/``."""
    packaged = Path(__file__).resolve().parent.parent / "templates"
    if (packaged / TEMPLATE).is_file():
        return packaged
    source_tree = Path(__file__).resolve().parents[3] / "templates"
    if (source_tree / TEMPLATE).is_file():
        return source_tree
    raise RenderError(f"templates: {TEMPLATE} not found in {packaged} or {source_tree}; the installation is incomplete")


def check_templates_dir(folder: Path, *, template: str = TEMPLATE) -> Path:
    """Validate a ``--templates`` folder; return it resolved. Raises SpecError (exit 2)."""
    path = Path(folder)
    if not path.is_dir():
        raise SpecError(f"--templates: expected a folder containing {template}; got {str(folder)!r}, which is not a folder")
    if not (path / template).is_file():
        raise SpecError(f"--templates: expected a folder containing {template}; {str(folder)!r} has none")
    return path.resolve()


def template_digests(templates: Path | None = None) -> dict[str, str]:
    """sha256 of every template file a report uses: ``auditlens/...`` and ``custom/...``."""
    digests = templates_digest(template_dir(), prefix=f"{BUNDLED_PREFIX}/")
    if templates is not None:
        digests.update(templates_digest(Path(templates).resolve(), prefix=f"{CUSTOM_PREFIX}/"))
    return digests


@lru_cache(maxsize=8)
def environment(templates: Path | None = None) -> jinja2.Environment:
    """The Jinja environment: sandboxed, autoescape on for every template, undefined names fail.

    ``autoescape=True`` rather than ``select_autoescape``, which would not escape ``*.j2``.
    With ``templates`` (a resolved folder), its files are found by plain name after the
    bundled ``auditlens/...`` ones.
    """
    bundled = jinja2.PrefixLoader({BUNDLED_PREFIX: jinja2.FileSystemLoader(str(template_dir()))})
    loader: jinja2.BaseLoader = bundled
    if templates is not None:
        loader = jinja2.ChoiceLoader([bundled, jinja2.FunctionLoader(_confined_source(templates))])
    env = ImmutableSandboxedEnvironment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
        finalize=shown,
    )
    env.globals["asset"] = _asset_function(templates if templates is not None else template_dir())
    return env


def render_html(view: ReportView | DiffView, *, templates: Path | None = None, template: str = TEMPLATE) -> str:
    """Render the report page from the view model, optionally with a branding folder.

    ``template`` names the page: ``report.html.j2`` (the audit) or ``diff.html.j2`` (the
    change report); a branding folder provides its own file of that name.

    Raises:
        RenderError: one line naming the template (and line) and what went wrong, e.g. a
            sandbox violation, an undefined name or a syntax error.
    """
    folder = check_templates_dir(templates, template=template) if templates is not None else None
    name = template if folder is not None else f"{BUNDLED_PREFIX}/{template}"
    try:
        return neutralise_bidi(environment(folder).get_template(name).render(v=view))
    except jinja2.TemplateSyntaxError as exc:
        where = f"{Path(exc.filename or exc.name or name).name}, line {exc.lineno}"
        raise RenderError(f"template {where}: {_one_line(exc.message or str(exc))}") from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError(
            f"template {_where(exc, name)}: expected a template in the --templates folder or "
            f"'{BUNDLED_PREFIX}/...'; {exc.name!r} not found"
        ) from None
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {_where(exc, name)}: {_one_line(str(exc))}") from None
    except RenderError:
        raise
    except Exception as exc:  # a filter or test given the wrong type, in a branding template
        raise RenderError(f"template {_where(exc, name)}: {type(exc).__name__}: {_one_line(str(exc))}") from None


def _where(exc: BaseException, default: str) -> str:
    """The deepest template frame of a runtime error (Jinja rewrites frames to template lines)."""
    found = default
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".j2", ".html", ".css")):
            found = f"{Path(frame.filename).name}, line {frame.lineno}"
    return found


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _confined_source(folder: Path):  # type: ignore[no-untyped-def]
    """Load a branding template by name only from inside ``folder``, never through a symlink.

    Jinja's FileSystemLoader refuses ``..`` but follows symlinks, so ``{% include %}`` of a
    link would put any file the process can read into the report. Every load (extends,
    include, import) goes through here, as every ``asset()`` goes through the same rule.
    """
    root = folder.resolve()

    def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        # Jinja's own reading of a name first ('/a' is 'a', '..' is not found), then ours.
        path = confined(root, "/".join(split_template_path(name)), field=f"template {name!r}", error=RenderError)
        if not path.is_file():
            return None
        mtime = path.stat().st_mtime
        return path.read_text(encoding="utf-8"), str(path), lambda: path.is_file() and path.stat().st_mtime == mtime

    return load


def _asset_function(folder: Path):  # type: ignore[no-untyped-def]
    """``asset(name)``: a file of the templates folder as a ``data:`` URI (images only)."""
    root = folder.resolve()

    def asset(name: str) -> str:
        if not isinstance(name, str) or not name:
            raise RenderError(f"asset(): expected a file name inside {root}; got {name!r}")
        path = confined(root, name, field="asset()", error=RenderError)
        if not path.is_file():
            raise RenderError(f"asset(): expected a file inside {root}; got {name!r}")
        kind = ASSET_TYPES.get(path.suffix.lower())
        if kind is None:
            raise RenderError(
                f"asset(): expected an image ({', '.join(sorted(ASSET_TYPES))}); got {name!r}"
            )
        data = path.read_bytes()
        if len(data) > MAX_ASSET_BYTES:
            raise RenderError(f"asset(): expected at most {MAX_ASSET_BYTES:,} bytes; {name!r} has {len(data):,}")
        # Markup: base64 needs no escaping, and a logo is not a user field to cut short.
        return Markup(f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}")

    return asset
