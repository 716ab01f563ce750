"""Where files may go: user strings made into confined paths, destinations checked up front.

Three rules, one place each:

* :func:`slug` — a user string that names a file or folder (``audit.model_name`` as the
  default ``out/<model_name>``) becomes a short, plain name: no separators, no ``..``, no
  leading dot, no control or bidi characters, at most :data:`SLUG_MAX` characters.
* :func:`confined` — a user string that names a file *inside* a folder (a template, an asset)
  must resolve inside that folder and must not pass through a symlink.
* :func:`check_destination` — an output folder is checked before any work starts: not a
  file, every name short enough, and the filesystem writable (a probe folder is created and
  removed), so a read-only or full filesystem fails in a second, not after the audit.

Example:
    >>> slug("../../etc/credit model")
    'etc-credit-model'
"""

from __future__ import annotations

import errno
import os
import re
import unicodedata
from pathlib import Path

from auditlens.errors import AuditError, OutputError

__all__ = ["SLUG_MAX", "check_destination", "confined", "slug"]

SLUG_MAX = 80


def slug(text: str, *, fallback: str = "report") -> str:
    """A file-system-safe name for ``text``: letters, digits, ``.``, ``_``, ``-``; at most 80.

    Example:
        >>> slug("/abs/olute"), slug("\\u202eevil"), slug("..")
        ('abs-olute', 'evil', 'report')
    """
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", plain).strip("-.")
    name = name[:SLUG_MAX].rstrip("-.")
    return name or fallback


def confined(root: Path, name: str, *, field: str, error: type[AuditError] = AuditError) -> Path:
    """``root / name`` resolved, refused unless it stays inside ``root`` without symlinks.

    Raises:
        error: ``name`` is empty, absolute, contains ``..`` or a NUL, passes through a
            symlink, or resolves outside ``root``.
    """
    base = Path(root).resolve()
    expected = f"{field}: expected a file inside {base}"
    parts = Path(name).parts if isinstance(name, str) and name and "\x00" not in name else ()
    if not parts or Path(name).is_absolute() or ".." in parts:
        raise error(f"{expected}; got {name!r}")
    current = base
    for part in parts:
        current = current / part
        if current.is_symlink():
            raise error(f"{expected}; {name!r} is a symlink (links are not followed)")
    if not current.resolve().is_relative_to(base):
        raise error(f"{expected}; {name!r} resolves outside it")
    return current.resolve()


def check_destination(out: Path, *, field: str = "--out") -> None:
    """Refuse, before any work, an output folder that cannot be created and written.

    Raises:
        OutputError: ``out`` (or a parent) is a file, a name is too long, or the nearest
            existing folder cannot be written (read-only filesystem, no permission, full).
    """
    out = Path(os.path.abspath(out))
    if out.exists() and not out.is_dir():
        raise OutputError(f"expected a folder (existing or new); got {str(out)!r}, which is a file", field=field)
    existing = out.parent  # the staging folder is made beside ``out``, then renamed into place
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"expected a folder path; {str(existing)!r} on the way is a file", field=field)
    name_max = _limit(existing, "PC_NAME_MAX", 255)
    long_names = [p for p in out.parts if len(os.fsencode(p)) > name_max]
    if long_names:
        raise OutputError(
            f"expected folder names of at most {name_max} bytes; got one of "
            f"{len(os.fsencode(long_names[0]))} bytes ({long_names[0][:40]!r}…)", field=field
        )
    probe = existing / f".auditlens-probe-{os.getpid()}"
    try:
        probe.mkdir()
        try:
            (probe / "probe").write_bytes(b"0" * 4096)
        finally:
            (probe / "probe").unlink(missing_ok=True)
            probe.rmdir()
    except OSError as exc:
        raise OutputError(f"cannot write in {str(existing)!r}: {_reason(exc)}", field=field) from None


def output_failure(exc: OSError, *, where: Path | str, field: str = "--out") -> OutputError:
    """A one-line OutputError for a write that failed after the checks (disk full mid-run)."""
    return OutputError(f"cannot write in {str(where)!r}: {_reason(exc)}", field=field)


def _reason(exc: OSError) -> str:
    names = {
        errno.EROFS: "read-only file system",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.ENOSPC: "no space left on device",
        errno.EDQUOT: "disk quota exceeded",
        errno.ENAMETOOLONG: "file name too long",
    }
    return names.get(exc.errno or 0) or (exc.strerror or type(exc).__name__).lower()


def _limit(folder: Path, name: str, default: int) -> int:
    try:
        return int(os.pathconf(folder, name))
    except (OSError, ValueError):
        return default
