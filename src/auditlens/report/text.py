"""User text made safe to show: no hidden reordering, no field running off the page.

* Bidirectional control characters (U+202E RIGHT-TO-LEFT OVERRIDE and its kin) reverse the
  text after them on the page while the file holds the original order: a model name could
  read differently to the reviewer than to every tool. Nothing auditlens writes needs them,
  so every one in the rendered HTML (and the PDF's metadata) is shown as a visible
  ``[U+202E]`` instead.
* A single field of 200,000 characters was clipped in the PDF without a word. Long words
  wrap (style.css), and a field longer than :data:`MAX_FIELD` characters is cut with a
  visible note; the whole text stays in results.json.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

__all__ = ["BIDI_CONTROLS", "MAX_FIELD", "neutralise_bidi", "shown"]

# ALM, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
MAX_FIELD = 10_000


def neutralise_bidi(text: str) -> str:
    """Every bidi control character as visible text.

    Example:
        >>> neutralise_bidi("model\\u202eevil")
        'model[U+202E]evil'
    """
    return _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def shown(value: Any) -> Any:
    """Jinja's ``finalize``: a plain string longer than MAX_FIELD is cut, visibly.

    Markup (charts, data URIs) is the report's own and passes unchanged.

    Example:
        >>> shown("x" * 10_005).endswith("… [5 more characters not shown; the full text is in results.json]")
        True
    """
    if isinstance(value, Markup) or not isinstance(value, str) or len(value) <= MAX_FIELD:
        return value
    rest = len(value) - MAX_FIELD
    return f"{value[:MAX_FIELD]}… [{rest:,} more characters not shown; the full text is in results.json]"
