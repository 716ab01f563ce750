"""The wheel carries the templates: build it, install it in a fresh venv, render a report."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

# Minutes of work: run by `python -m pytest -m long` (and by .ci/run), not by a bare `python -m pytest`.
pytestmark = pytest.mark.long

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_installs_and_renders(small_run: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    wheels = list(dist.glob("auditlens-*.whl"))
    assert len(wheels) == 1
    # A fresh venv (no system site-packages: on a fresh machine the base interpreter has none of
    # the dependencies) that sees this environment's dependencies through a .pth file and gets
    # auditlens only from the wheel. Paths in a .pth file are appended after the venv's own
    # site-packages, and the .pth files inside them (this environment's editable install) are
    # not processed, so the wheel's copy is the one imported.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=False, with_pip=False)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    here = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (Path(site) / "outer_environment.pth").write_text("".join(f"{p}\n" for p in here), encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", site, str(wheels[0])],
        check=True, capture_output=True, text=True,
    )
    where = subprocess.run(
        [str(python), "-c", "import auditlens, pathlib; print(pathlib.Path(auditlens.__file__).parent)"],
        check=True, capture_output=True, text=True, cwd=tmp_path,
    ).stdout.strip()
    assert where.startswith(str(env_dir))
    assert (Path(where) / "templates" / "report.html.j2").is_file()
    assert (Path(where) / "schema" / "results.schema.json").is_file()
    out = tmp_path / "rendered"
    result = subprocess.run(
        [str(python), "-m", "auditlens.cli", "render", str(small_run / "results.json"), "--out", str(out), "--quiet"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert (out / "report.html").read_bytes() == (small_run / "report.html").read_bytes()
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF-")
