"""The one chart style, and drawing under it into clean, inlinable, deterministic SVG."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from collections.abc import Callable

import matplotlib
import matplotlib.style
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from PIL import Image

# One sober, print-friendly style: dark ink, light grid, one accent colour.
INK = "#222222"
MUTED = "#8a8a8a"
GRID = "#e3e3e3"
ACCENT = "#1f5f9e"
NAN_GREY = "#b8b8b8"
# Low -> high feature value (blue -> red through purple; avoids a white middle that
# would vanish on paper).
LOW_COLOUR = "#2b7bba"
MID_COLOUR = "#8b5aa8"
HIGH_COLOUR = "#d7263d"

WIDTH_IN = 6.3  # the text width of an A4 page with 2 cm margins
MAX_LABEL_CHARS = 30
MAX_CATEGORIES = 30  # more columns would be unreadable at print size
# Above this many dots the point layer becomes one embedded PNG: thousands of vector
# markers make large files and slow WeasyPrint rendering (see FACTS.md).
VECTOR_POINT_LIMIT = 500
RASTER_DPI = 150
HASH_SALT = "auditlens"

_RC = {
    "svg.hashsalt": HASH_SALT,
    "svg.fonttype": "none",
    "svg.image_inline": True,
    # Feature names are user data: "$x$" must not become mathtext.
    "text.parse_math": False,
    "text.usetex": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": MUTED,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": GRID,
    "grid.linewidth": 0.5,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "lines.linewidth": 1.4,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "path.simplify": True,
}

_ID_RE = re.compile(r'\bid="([^"]+)"')
_PNG_RE = re.compile(r'((?:xlink:)?href="data:image/png;base64,)([A-Za-z0-9+/=\s]+)"')


def render_svg(
    draw: Callable[[Figure], None],
    *,
    alt: str,
    height: float,
    width: float = WIDTH_IN,
) -> str:
    """Draw on a fresh Figure under the fixed style and return cleaned, inlinable SVG."""
    # style.context("default") ignores the user's matplotlibrc; both contexts restore
    # the caller's rcParams on exit.
    with matplotlib.style.context("default"), matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        fig = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasSVG(fig)
        draw(fig)
        buffer = io.StringIO()
        fig.savefig(
            buffer,
            format="svg",
            dpi=RASTER_DPI,
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    return finish_svg(buffer.getvalue(), alt)


def finish_svg(raw: str, alt: str) -> str:
    """Make matplotlib's SVG document an accessible, scalable fragment for HTML5."""
    svg = raw[raw.index("<svg") :]
    # The RDF metadata block only names the generator (with its URL); drop it.
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    head_end = svg.index(">") + 1
    head, body = svg[:head_end], svg[head_end:]
    size = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', head)
    viewbox = re.search(r'viewBox="([^"]+)"', head)
    if size is None or viewbox is None:  # pragma: no cover - matplotlib format changed
        raise RuntimeError("unexpected SVG header from matplotlib: " + head)
    # Unique, deterministic id prefix so several charts can live in one HTML page.
    prefix = "al" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:8] + "-"
    body = _ID_RE.sub(lambda m: f'id="{prefix}{m.group(1)}"', body)
    body = re.sub(
        r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', body
    )
    body = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", body)
    root_id = prefix + "chart"
    # A <style> inside inline SVG applies to the whole HTML page: scope it to this chart.
    body = body.replace('<style type="text/css">*{', f'<style type="text/css">#{root_id} *{{')
    body = _PNG_RE.sub(lambda m: m.group(1) + quantise_png(m.group(2)) + '"', body)
    label = html.escape(alt, quote=True)
    title_id = prefix + "title"
    new_head = (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
        f'id="{root_id}" class="auditlens-chart" role="img" '
        f'aria-labelledby="{title_id}" aria-label="{label}" '
        f'viewBox="{viewbox.group(1)}" width="100%" '
        f'style="max-width: {size.group(1)}pt; height: auto">'
        f'\n <title id="{title_id}">{label}</title>'
    )
    return new_head + body


def quantise_png(b64: str) -> str:
    """Re-encode a rasterised point layer with a 64-colour palette.

    Anti-aliased RGBA dots compress badly (~300 KB for 20,000 dots); a palette image keeps
    the look, the alpha and determinism at about a fifth of the size.
    """
    with Image.open(io.BytesIO(base64.b64decode(b64))) as image:
        quantised = image.convert("RGBA").quantize(colors=64, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    quantised.save(out, format="PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii")


def no_data(alt: str, message: str) -> str:
    """A small chart that says there is nothing to show instead of failing."""

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            f"No data. {message}",
            ha="center",
            va="center",
            color=MUTED,
            fontsize=8,
            transform=ax.transAxes,
        )

    return render_svg(draw, alt=alt, height=0.8)

