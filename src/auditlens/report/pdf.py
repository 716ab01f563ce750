"""HTML → archival PDF (PDF/A-3b by default) with WeasyPrint, safely and reproducibly.

Three promises, each tested:

- Nothing is fetched. The URL fetcher serves ``data:`` URIs and regular files inside
  ``assets_dir`` only; any other URL (``file:///etc/passwd``, ``http(s)://``, a relative
  path that climbs out of the folder, a symlink pointing outside) raises, and WeasyPrint
  then leaves that image/stylesheet/attachment out. Attachments declared in the HTML
  (``<link rel=attachment>``, ``<a rel=attachment>``) are ignored altogether: files reach
  the PDF only through ``attachments=`` (CVE-2025-68616 and friends, see FACTS.md).
- Same input, same bytes. Dates come from :class:`PdfMetadata` (the run's timestamp), never
  the clock: document and attachment dates are set explicitly and ``SOURCE_DATE_EPOCH``
  (read by fontTools when it subsets fonts) is set for the duration of the call only.
  The file identifier of PDF/A output is a hash of the content.
- No half-written files. The PDF is rendered in memory and then written to a temporary
  file in the target folder and renamed; on any failure ``out_path`` is untouched and no
  temporary file remains.

Example:
    >>> from datetime import UTC, datetime
    >>> meta = PdfMetadata(title="Audit", author="Model risk",
    ...                    created=datetime(2025, 1, 31, 12, tzinfo=UTC))
    >>> render_pdf("<h1>Audit</h1>", "audit.pdf", metadata=meta)  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import contextlib
import logging
import mimetypes
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import weasyprint
from weasyprint.pdf import VARIANTS
from weasyprint.urls import URLFetcher, URLFetcherResponse

from auditlens._files import atomic_write_bytes
from auditlens.errors import RenderError

if TYPE_CHECKING:
    from weasyprint.document import Document

__all__ = ["PdfAttachment", "PdfMetadata", "render_pdf"]

LOGGER = logging.getLogger(__name__)

# AFRelationship values allowed by PDF/A-3 (ISO 19005-3, ISO 32000-2 7.11.3).
RELATIONSHIPS = ("Source", "Data", "Alternative", "Supplement", "Unspecified")
_MIME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class PdfMetadata:
    """Document information written to the PDF's Info dictionary and XMP metadata.

    Attributes:
        title: Document title (``/Title``, ``dc:title``).
        author: Responsible author or team (``/Author``, ``dc:creator``).
        subject: One-line description (``/Subject``, ``dc:description``).
        keywords: Keywords (``/Keywords``, ``pdf:Keywords``).
        created: Timestamp of the run, timezone-aware. Used for the creation and
            modification dates of the document and of its attachments, so the same run
            gives the same bytes.
        language: BCP 47 language tag of the text (``/Lang``).

    Example:
        >>> from datetime import UTC, datetime
        >>> PdfMetadata(title="Audit", author="MRM team",
        ...             created=datetime(2025, 1, 31, tzinfo=UTC)).language
        'en'
    """

    title: str
    author: str
    created: datetime
    subject: str = ""
    keywords: tuple[str, ...] = ()
    language: str = "en"

    def __post_init__(self) -> None:
        for name in ("title", "author", "subject", "language"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"'{name}' must be a str. Got {type(value).__name__} instead.")
        if not self.title.strip():
            raise ValueError("'title' must be a non-empty str. Got an empty string instead.")
        if not isinstance(self.created, datetime) or self.created.utcoffset() is None:
            raise ValueError(
                "'created' must be a timezone-aware datetime (the run's timestamp). "
                f"Got {self.created!r} instead."
            )
        if not isinstance(self.keywords, tuple) or not all(
            isinstance(k, str) for k in self.keywords
        ):
            raise TypeError(f"'keywords' must be a tuple of str. Got {self.keywords!r} instead.")


@dataclass(frozen=True, slots=True, kw_only=True)
class PdfAttachment:
    """A file embedded in the PDF (PDF/A-3 associated file), e.g. ``results.json``.

    Attributes:
        name: File name shown by PDF readers (no folders).
        data: The file's bytes.
        description: What the file is, shown next to it by readers.
        mime_type: Media type, e.g. ``"application/json"``.
        relationship: PDF/A-3 ``AFRelationship``: one of ``Source``, ``Data``,
            ``Alternative``, ``Supplement``, ``Unspecified``.

    Example:
        >>> PdfAttachment(name="results.json", data=b"{}", description="Audit results",
        ...               mime_type="application/json").relationship
        'Source'
    """

    name: str
    data: bytes
    description: str
    mime_type: str
    relationship: str = "Source"

    def __post_init__(self) -> None:
        if (
            not isinstance(self.name, str)
            or not self.name
            or self.name in (".", "..")
            or "/" in self.name
            or "\\" in self.name
        ):
            raise ValueError(
                f"'name' must be a plain file name without folders. Got {self.name!r} instead."
            )
        if not isinstance(self.data, bytes | bytearray | memoryview):
            raise TypeError(f"'data' must be bytes. Got {type(self.data).__name__} instead.")
        if not isinstance(self.mime_type, str) or not _MIME_RE.match(self.mime_type):
            raise ValueError(
                f"'mime_type' must be a media type such as 'application/json'. "
                f"Got {self.mime_type!r} instead."
            )
        if self.relationship not in RELATIONSHIPS:
            raise ValueError(
                f"'relationship' must be one of {', '.join(RELATIONSHIPS)}. "
                f"Got {self.relationship!r} instead."
            )


def render_pdf(
    html: str,
    out_path: str | os.PathLike[str],
    *,
    assets_dir: Path | None = None,
    metadata: PdfMetadata,
    attachments: Sequence[PdfAttachment] = (),
    pdf_variant: str | None = "pdf/a-3b",
    tagged: bool = False,
) -> None:
    """Render an HTML document to a PDF file (PDF/A-3b by default).

    Args:
        html: The complete HTML document (inline CSS and SVG; see module docstring for
            what may be referenced).
        out_path: Where to write the PDF. Written atomically; folders are created.
        assets_dir: The only folder the document may load files from (fonts, logos,
            stylesheets). Relative URLs resolve against it. ``None`` allows ``data:``
            URIs only.
        metadata: Title, author, dates, ... (see :class:`PdfMetadata`).
        attachments: Files to embed, dated ``metadata.created``. Needs a variant that
            keeps attachments (PDF/A-3 or later, or ``None`` for plain PDF).
        pdf_variant: A WeasyPrint PDF variant such as ``"pdf/a-3b"`` or ``"pdf/a-3a"``,
            or ``None`` for a plain PDF.
        tagged: Write a structure tree (tagged PDF: headings, paragraphs, tables, figures
            with their alt text) for screen readers and reflow; about 15% slower and larger.
            WeasyPrint writes one variant per file, so PDF/UA-1 identification cannot be
            combined with PDF/A here; tagging gives PDF/A-3b most of PDF/UA's structure.

    Raises:
        RenderError: The variant is unknown, the attachments cannot be kept by it, or
            WeasyPrint failed. Nothing is written to ``out_path`` then.

    Example:
        >>> from datetime import UTC, datetime
        >>> meta = PdfMetadata(title="Audit", author="MRM",
        ...                    created=datetime(2025, 1, 31, tzinfo=UTC))
        >>> render_pdf("<p>Hello</p>", "out.pdf", metadata=meta)  # doctest: +SKIP
    """
    if not isinstance(metadata, PdfMetadata):
        raise TypeError(f"'metadata' must be a PdfMetadata. Got {type(metadata).__name__} instead.")
    attachments = tuple(attachments)
    for attachment in attachments:
        if not isinstance(attachment, PdfAttachment):
            raise TypeError(
                "'attachments' must contain PdfAttachment objects. "
                f"Got {type(attachment).__name__} instead."
            )
    if pdf_variant is not None and pdf_variant not in VARIANTS:
        raise RenderError(
            f"'pdf_variant' must be one of {', '.join(sorted(VARIANTS))} or None. "
            f"Got {pdf_variant!r} instead."
        )
    if attachments and pdf_variant is not None and pdf_variant.startswith(("pdf/a-1", "pdf/a-2")):
        raise RenderError(
            f"'attachments' need PDF/A-3 or later (PDF/A-1 and PDF/A-2 drop them). "
            f"Got pdf_variant={pdf_variant!r} with {len(attachments)} attachment(s)."
        )
    assets = None
    if assets_dir is not None:
        assets = Path(assets_dir).resolve()
        if not assets.is_dir():
            raise RenderError(
                f"'assets_dir' must be an existing folder. Got {str(assets_dir)!r} instead."
            )

    fetcher = _make_fetcher(assets)
    created = metadata.created.astimezone(UTC)
    try:
        with _source_date_epoch(created):
            document = weasyprint.HTML(
                string=html,
                base_url=assets.as_uri() + "/" if assets is not None else None,
                url_fetcher=fetcher,
            ).render()
            _apply_metadata(document, metadata, created)
            # Files reach the PDF only through `attachments`, never through the HTML.
            document.metadata.attachments = []
            for page in document.pages:
                page.links[:] = [link for link in page.links if link[0] != "attachment"]
            pdf_bytes = document.write_pdf(
                finisher=_dedupe_associated_files,
                pdf_variant=pdf_variant,
                pdf_tags=tagged,
                attachments=[_to_weasy(a, created, fetcher) for a in attachments],
            )
        atomic_write_bytes(out_path, pdf_bytes)
    except RenderError:
        raise
    except Exception as exc:
        detail = " ".join(str(exc).split()) or "no details"
        raise RenderError(
            f"could not render PDF {os.fspath(out_path)!r}: {type(exc).__name__}: {detail}"
        ) from exc
    if fetcher.blocked:
        LOGGER.warning(
            "left %d resource(s) out of %s: only data: URIs and files inside assets_dir "
            "may be loaded (%s)",
            len(fetcher.blocked),
            os.fspath(out_path),
            ", ".join(sorted(set(fetcher.blocked)))[:500],
        )


# --------------------------------------------------------------------------- internals


def _apply_metadata(document: Document, metadata: PdfMetadata, created: datetime) -> None:
    """Overwrite what WeasyPrint read from <title>/<meta>: the caller's metadata wins."""
    try:
        generator = f"auditlens {version('auditlens')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        generator = "auditlens"
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    info = document.metadata
    info.title = metadata.title
    info.authors = [metadata.author] if metadata.author else []
    info.description = metadata.subject or None
    info.keywords = list(metadata.keywords)
    info.generator = generator
    info.created = stamp
    info.modified = stamp
    info.lang = metadata.language or None
    # Custom <meta> names are not written (custom_metadata is off); clear them anyway.
    info.custom = {}


def _dedupe_associated_files(_document: Any, pdf: Any) -> None:
    """Drop repeated entries of the catalog's /AF array.

    WeasyPrint 70's PDF/A-3 step lists each attachment twice (once from the name tree,
    once from its file specification); readers cope, but one entry per file is correct.
    """
    files = pdf.catalog.get("AF")
    if files:
        unique = list(dict.fromkeys(files))
        files.clear()
        files.extend(unique)


def _to_weasy(attachment: PdfAttachment, created: datetime, fetcher: Any) -> Any:
    """A WeasyPrint Attachment with explicit dates and media type."""
    # A data: URI is the one source through which WeasyPrint takes the media type as given.
    payload = base64.b64encode(bytes(attachment.data)).decode("ascii")
    return weasyprint.Attachment(
        url=f"data:{attachment.mime_type};base64,{payload}",
        url_fetcher=fetcher,
        name=attachment.name,
        description=attachment.description,
        # WeasyPrint formats these with a literal "Z": they must be UTC, and naive.
        created=created.replace(tzinfo=None),
        modified=created.replace(tzinfo=None),
        relationship=attachment.relationship,
    )


@contextlib.contextmanager
def _source_date_epoch(created: datetime) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH (fontTools' font timestamps) for the block, then restore it.

    Not thread-safe: environment variables are process-wide.
    """
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(created.timestamp()))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


class ForbiddenURLError(ValueError):
    """The document referenced a URL outside ``data:`` and ``assets_dir``."""


def _make_fetcher(assets: Path | None) -> Any:
    """Build a URLFetcher that serves data: URIs and files inside ``assets`` only.

    WeasyPrint 70 expects a URLFetcher instance (it reads private attributes of it), so
    this subclasses it rather than passing a function.
    """
    class SafeURLFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self) -> None:
            # Belt and braces: even the parent's opener would only speak data:.
            super().__init__(allowed_protocols=("data",), allow_redirects=False, timeout=1)
            self.blocked: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file" and assets is not None:
                path = _asset_path(url, assets)
                if path is not None:
                    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        path.as_uri(), path.read_bytes(), {"Content-Type": mime}
                    )
            self.blocked.append(url[:200])
            # A plain exception: WeasyPrint logs it and leaves the resource out.
            raise ForbiddenURLError(
                f"refused to load {url[:200]!r}: only data: URIs and files inside "
                "assets_dir may be loaded"
            )

    return SafeURLFetcher()


def _asset_path(url: str, assets: Path) -> Path | None:
    """The file a file: URL names if it is a regular file inside ``assets``, else None."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return None
    try:
        # resolve() follows symlinks and "..", so the containment check sees the real file.
        path = Path(url2pathname(parts.path)).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    if not path.is_relative_to(assets) or not path.is_file():
        return None
    return path
