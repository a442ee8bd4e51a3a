"""Helpers shared by tests/cluster (imported by conftest.py and the tests)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "lab" / "k8s"

# lab/k8s/k8slab.py (not a package): its paths and helpers, so the tests and `up` agree
_spec = importlib.util.spec_from_file_location("k8slab", LAB / "k8slab.py")
k8slab = importlib.util.module_from_spec(_spec)
sys.modules["k8slab"] = k8slab
_spec.loader.exec_module(k8slab)

UP_TIMEOUT = 3600  # a cold build runs inside the first `up`


@dataclass
class Lab:
    kubeconfig: str
    state_dir: Path
    state: dict
    nodes: list[str]
    versions: dict[str, str]


def run_lab(cmd: str, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(LAB / cmd), *args], capture_output=True, text=True, timeout=timeout, cwd=REPO)
    if check and r.returncode != 0:
        pytest.fail(
            f"lab/k8s/{cmd} {' '.join(args)} failed (exit {r.returncode}):\n{r.stdout}\n{r.stderr}", pytrace=False
        )
    return r
