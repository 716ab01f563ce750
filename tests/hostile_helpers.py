"""Helpers for the hostile-input tests (issue 11): real processes, real files, real mounts."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sample_helpers import sample_spec_text, write_spec


def cli(*args: str, cwd: Path | None = None, limit_as: int | None = None, limit_fsize: int | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``auditlens ARGS`` in a fresh process, optionally under an address-space or file-size limit."""
    return subprocess.run(
        [sys.executable, "-m", "auditlens.cli", *args], capture_output=True, text=True, cwd=cwd,
        timeout=timeout, preexec_fn=_limits(limit_as, limit_fsize),
    )


def _limits(address_space: int | None, file_size: int | None) -> Callable[[], None] | None:
    if address_space is None and file_size is None:
        return None

    def apply() -> None:
        import resource

        if address_space is not None:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        if file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    return apply


def one_error_line(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The run failed with ``code`` and said so on exactly one stderr line, without a traceback."""
    assert result.returncode == code, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("auditlens: ")
              and not line.endswith("...")]
    assert len(errors) == 1, result.stderr[-2000:]
    return errors[0]


def tiny_spec(folder: Path, name: str = "audit.toml", **overrides: str) -> Path:
    """The sample spec with a small budget and results.json only (no HTML/PDF): a quick run."""
    settings = {"trials": "4", "cv_folds": "2", "bootstrap": "20", "formats": '["json"]', **overrides}
    return write_spec(folder, sample_spec_text(**settings), name)


def leftovers(folder: Path) -> list[str]:
    """Staging folders a run left behind."""
    return sorted(p.name for p in folder.rglob("*.partial-*"))


@contextmanager
def mounted_tmpfs(where: Path, options: str) -> Iterator[bool]:
    """A tmpfs mounted at ``where`` (True), or False where mounting is not possible."""
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True, text=True)
    try:
        yield done.returncode == 0
    finally:
        if done.returncode == 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


def is_root() -> bool:
    return os.geteuid() == 0
