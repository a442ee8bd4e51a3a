# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the hwsim tests: hwsim installed once per session into a temporary root (the same
install.sh the node image uses), and a fresh state directory per test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
HWSIM_DIR = REPO / "lab" / "hwsim"
if str(HWSIM_DIR) not in sys.path:
    sys.path.insert(0, str(HWSIM_DIR))


def _python():
    # Debian 12's interpreter (the one the node image runs hwsim with) when present.
    for cand in ("/usr/bin/python3",):
        if os.access(cand, os.X_OK):
            return cand
    return sys.executable


def install(root):
    """lab/hwsim/install.sh into ``root`` (tools in root/bin); returns the bin directory."""
    subprocess.run(
        [
            str(HWSIM_DIR / "install.sh"),
            "--python",
            _python(),
            "--bindir",
            "/bin",
            "--libdir",
            "/lib/hwsim",
            "--no-systemd",
            str(root),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(root) / "bin"


@pytest.fixture(scope="session")
def hwsim_bin(tmp_path_factory):
    return install(tmp_path_factory.mktemp("hwsim-root"))


@pytest.fixture
def private_hw(tmp_path):
    """A host with its own installation (for tests that add or remove tool links)."""
    return Hw(tmp_path / "host", install(tmp_path / "inst"))


class Hw:
    """One simulated host: state dir, host root (etc/modprobe.d ...) and the installed tools."""

    def __init__(self, tmp, bindir):
        self.tmp = Path(tmp)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.bin = Path(bindir)
        self.state_dir = self.tmp / "state"
        self.root = self.tmp / "root"
        (self.root / "etc" / "modprobe.d").mkdir(parents=True)
        (self.root / "etc" / "modules-load.d").mkdir(parents=True)
        self.env = dict(os.environ)
        self.env.update(
            {
                "HWSIM_STATE": str(self.state_dir),
                "HWSIM_ROOT": str(self.root),
                "PATH": f"{self.bin}:{os.environ.get('PATH', '')}",
                "LC_ALL": "C",
            }
        )
        self.env.pop("HWSIM_SYSFS", None)

    @property
    def sysfs(self):
        return self.state_dir / "sys"

    def run(self, tool, *args, stdin=None, rc=0):
        """Run a tool; asserts its exit status unless rc is None. A missing tool gives 127 like a shell."""
        if not (self.bin / tool).exists():
            p = subprocess.CompletedProcess([tool, *args], 127, "", f"{tool}: command not found\n")
            if rc is not None:
                assert rc == 127, f"{tool} is not installed"
            return p
        p = subprocess.run(
            [str(self.bin / tool), *args],
            env=self.env,
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=60,
        )
        if rc is not None:
            assert p.returncode == rc, (
                f"{tool} {' '.join(args)} -> rc {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
            )
        return p

    def out(self, tool, *args, **kw):
        return self.run(tool, *args, **kw).stdout

    def init(self, profile, *opts):
        return self.run("hwsim", "init", "--profile", profile, *opts)

    def state(self):
        return json.loads((self.state_dir / "state.json").read_text())

    def param(self, name, nic=None):
        args = ["param", name] + (["--nic", nic] if nic else [])
        return json.loads(self.out("hwsim", *args))

    def etc(self, rel, text):
        p = self.root / "etc" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    def calls(self, tool=None):
        p = self.state_dir / "calls.jsonl"
        if not p.exists():
            return []
        recs = [json.loads(line) for line in p.read_text().splitlines() if line.strip()]
        return [r for r in recs if tool is None or r["tool"] == tool]

    def boots(self):
        p = self.state_dir / "boots.jsonl"
        if not p.exists():
            return []
        return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]


@pytest.fixture
def hw(tmp_path, hwsim_bin):
    return Hw(tmp_path, hwsim_bin)


@pytest.fixture(params=["cx6-vpi-ib", "cx5ex-roce", "cx7-ib", "bf2-dpu"])
def any_profile(request):
    return request.param
