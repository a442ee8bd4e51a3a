"""execution-environment.yml: `ansible-builder create` makes an AWX build context from it.

The collection tarball the EE installs is built here (as `make build` does) into the path the
definition names, so the test also fails when galaxy.yml's version and that path drift apart.
`create` only writes files: no container engine, no network.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"


def test_ansible_builder_create_makes_a_build_context(tmp_path):
    ee = yaml.safe_load((REPO / "execution-environment.yml").read_text())
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    (tarball_spec,) = ee["additional_build_files"]
    assert tarball_spec["src"].endswith(f"rdmaops-fabric-{version}.tar.gz"), tarball_spec
    tarball = tmp_path / tarball_spec["src"]
    tarball.parent.mkdir(parents=True)
    build = subprocess.run(
        [str(VENV_BIN / "ansible-galaxy"), "collection", "build", str(REPO), "--output-path", str(tarball.parent)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    assert tarball.is_file()
    shutil.copy(REPO / "execution-environment.yml", tmp_path / "execution-environment.yml")

    context = tmp_path / "context"
    r = subprocess.run(
        [str(VENV_BIN / "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", str(context), "-v", "3"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    containerfile = (context / "Containerfile").read_text()
    assert "COPY _build/collection/ /tmp/collection/" in containerfile
    assert "ansible-galaxy collection install /tmp/collection/rdmaops-fabric-*.tar.gz" in containerfile
    # what that COPY takes: the collection tarball, and nothing else
    copied = context / "_build" / "collection"
    assert [p.name for p in copied.iterdir()] == [tarball.name]
    assert (copied / tarball.name).read_bytes() == tarball.read_bytes()
    # the Python and collection dependencies reach the build context
    python_reqs = (context / "_build" / "requirements.txt").read_text()
    assert "kubernetes==37.0.2" in python_reqs
    galaxy_reqs = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert {c["name"] for c in galaxy_reqs["collections"]} >= {"kubernetes.core", "community.general"}
