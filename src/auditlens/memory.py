"""What the machine can hold: the memory this process may still use, to bound work up front.

An audit that cannot fit should fail in a second with a sentence, not after minutes with an
allocation of 74.5 GiB. The figure is the smallest of what the kernel reports as available
(``MemAvailable``), the cgroup's limit minus its usage (containers) and the address-space
limit (``ulimit -v``) minus what the process has mapped.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

__all__ = ["available_bytes", "format_bytes"]

_UNLIMITED = 1 << 62


def available_bytes() -> int:
    """Bytes this process can still allocate, by the tightest limit that applies.

    Example:
        >>> available_bytes() > 0
        True
    """
    return max(0, min(_meminfo(), _cgroup(), _address_space()))


def format_bytes(n: int) -> str:
    """``1.5 GiB``-style text for messages."""
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GiB"  # pragma: no cover


def _meminfo() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return _UNLIMITED


def _cgroup() -> int:
    for limit, usage in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),  # cgroup v2
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            text = Path(limit).read_text().strip()
            if text == "max":
                continue
            return int(text) - int(Path(usage).read_text().strip())
        except (OSError, ValueError):
            continue
    return _UNLIMITED


def _address_space() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return _UNLIMITED
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return soft - int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return soft
