# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""install.sh into a root file system, the systemd units, the launcher, the watcher."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HWSIM_DIR = Path(__file__).resolve().parents[3] / "lab" / "hwsim"

TOOLS = [
    "mlxconfig",
    "mstconfig",
    "mst",
    "rdma",
    "ibstat",
    "ibv_devices",
    "ibv_devinfo",
    "ibdev2netdev",
    "lspci",
    "mlxfwreset",
    "hwsim",
]


def test_install_into_a_rootfs(tmp_path):
    root = tmp_path / "rootfs"
    p = subprocess.run(
        [str(HWSIM_DIR / "install.sh"), "--profile", "cx7-ib", str(root)], capture_output=True, text=True, check=True
    )
    assert "installed" in p.stdout
    sbin = root / "usr/local/sbin"
    for t in TOOLS:
        assert os.readlink(sbin / t) == "../lib/hwsim/launcher", t
    assert not (sbin / "ofed_info").exists()
    launcher = (root / "usr/local/lib/hwsim/launcher").read_text()
    assert launcher.startswith("#!/usr/bin/python3 -S\n")
    assert (root / "usr/local/lib/hwsim/hwsim/main.py").is_file()
    assert (root / "usr/local/lib/hwsim/hwsim/profiles/cx6-vpi-ib.json").is_file()
    unit = (root / "etc/systemd/system/hwsim-boot.service").read_text()
    assert "ExecStart=/usr/local/sbin/hwsim boot" in unit
    assert "Type=oneshot" in unit and "Before=" in unit and "opensm.service" in unit
    assert (
        os.readlink(root / "etc/systemd/system/sysinit.target.wants/hwsim-boot.service")
        == "/etc/systemd/system/hwsim-boot.service"
    )
    assert (root / "etc/systemd/system/multi-user.target.wants/hwsim-sync.service").is_symlink()
    assert (root / "etc/hwsim/profile").read_text() == "cx7-ib\n"
    assert (root / "var/lib/hwsim").is_dir()


def test_reinstall_is_idempotent(tmp_path):
    for _ in range(2):
        subprocess.run(
            [str(HWSIM_DIR / "install.sh"), "--no-systemd", str(tmp_path / "r")], check=True, capture_output=True
        )
    assert not (tmp_path / "r/etc/systemd").exists()


def test_launcher_runs_with_python_dash_s_and_no_site(hw):
    hw.init("cx6-vpi-ib")
    env = dict(hw.env, PYTHONPATH="/nonexistent")
    p = subprocess.run([str(hw.bin / "rdma"), "system"], env=env, capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout == "netns shared copy-on-fork on\n"


def test_python_m_hwsim(hw):
    hw.init("cx6-vpi-ib")
    p = subprocess.run(
        [sys.executable, "-m", "hwsim", "rdma", "system"],
        env=dict(hw.env, PYTHONPATH=str(HWSIM_DIR)),
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0 and p.stdout.startswith("netns shared")


def test_watch_applies_writes_promptly(hw):
    hw.init("cx5ex-roce")
    w = subprocess.Popen([str(hw.bin / "hwsim"), "watch", "--interval", "0.2"], env=hw.env)
    try:
        time.sleep(0.5)
        pf = hw.sysfs / "class/net/enp175s0f0np0/device"
        (pf / "sriov_numvfs").write_text("2\n")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (pf / "virtfn1").exists():
            time.sleep(0.05)
        assert (pf / "virtfn1").exists()
    finally:
        w.terminate()
        w.wait(10)
    assert not [c for c in hw.calls() if c["tool"] != "hwsim"]  # the watcher is not a tool call


def test_call_overhead_is_small(hw):
    hw.init("cx7-ib")
    hw.run("rdma", "system")
    t = time.monotonic()
    for _ in range(10):
        hw.run("rdma", "system")
    per_call = (time.monotonic() - t) / 10
    assert per_call < 0.5, per_call  # typically 20-40 ms; loose bound for shared CI machines
    assert max(c["ms"] for c in hw.calls("rdma")) < 500
