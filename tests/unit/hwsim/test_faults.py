# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every fault knob shows its documented failure or report; the call log counts invocations."""

from __future__ import annotations

import json
import time


def test_tool_error_default_text(hw):
    hw.init("cx6-vpi-ib")
    hw.run("hwsim", "fault", "set", "tool_error", "mlxconfig")
    p = hw.run("mlxconfig", "-d", "3b:00.0", "q", rc=3)
    assert p.stdout == "-E- Failed to open the device\n"
    hw.run("hwsim", "fault", "set", "tool_error", "rdma")
    p = hw.run("rdma", "system", rc=1)
    assert p.stderr == "Failed to open NETLINK_RDMA socket\n"
    hw.run("hwsim", "fault", "clear")
    hw.run("mlxconfig", "-d", "3b:00.0", "q")
    hw.run("rdma", "system")


def test_tool_error_custom_match_and_count(hw):
    hw.init("cx6-vpi-ib")
    hw.run(
        "hwsim",
        "fault",
        "set",
        "tool_error",
        "mlxconfig",
        "--rc",
        "5",
        "--stderr",
        "boom",
        "--match",
        "set",
        "--count",
        "1",
    )
    hw.run("mlxconfig", "-d", "3b:00.0", "q")  # not a set: runs
    p = hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1", rc=5)
    assert p.stderr == "boom\n" and p.stdout == ""
    assert hw.param("SRIOV_EN")["next"] == 0
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1")  # count used up
    assert hw.param("SRIOV_EN")["next"] == 1


def test_set_ignored(hw):
    hw.init("cx6-vpi-ib")
    hw.run("hwsim", "fault", "set", "set_ignored", "NUM_OF_VFS")
    out = hw.out("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1", "NUM_OF_VFS=8")
    assert "Applying... Done!" in out  # the firmware says yes ...
    assert hw.param("SRIOV_EN")["next"] == 1
    assert hw.param("NUM_OF_VFS")["next"] == 0  # ... and keeps the old Next Boot value
    hw.run("hwsim", "fault", "set", "set_ignored")  # all parameters
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=0")
    assert hw.param("SRIOV_EN")["next"] == 1


def test_reboot_no_take(hw):
    hw.init("cx6-vpi-ib")
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1", "NUM_OF_VFS=8")
    hw.run("hwsim", "fault", "set", "reboot_no_take", "NUM_OF_VFS")
    hw.run("hwsim", "boot")
    assert hw.param("SRIOV_EN")["current"] == 1
    p = hw.param("NUM_OF_VFS")
    assert p["current"] == 0 and p["next"] == 8
    rec = hw.boots()[-1]
    assert rec["not_taken"] == {"0000:3b:00.0": ["NUM_OF_VFS"]}
    out = hw.out("mlxconfig", "-d", "3b:00.0", "-e", "q", "NUM_OF_VFS")
    assert out.splitlines()[-2].split() == ["*", "NUM_OF_VFS", "0", "0", "8"]
    hw.run("hwsim", "boot")  # the fault persists
    assert hw.param("NUM_OF_VFS")["current"] == 0
    hw.run("hwsim", "fault", "clear", "reboot_no_take")
    hw.run("hwsim", "boot")
    assert hw.param("NUM_OF_VFS")["current"] == 8


def test_reboot_no_take_applies_to_mlxfwreset(hw):
    hw.init("cx6-vpi-ib")
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1")
    hw.run("hwsim", "fault", "set", "reboot_no_take")
    hw.run("mlxfwreset", "-d", "3b:00.0", "-y", "reset")
    assert hw.param("SRIOV_EN")["current"] == 0


def test_fwreset_fail(hw):
    hw.init("cx6-vpi-ib")
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1")
    hw.run("hwsim", "fault", "set", "fwreset_fail")
    p = hw.run("mlxfwreset", "-d", "3b:00.0", "-y", "reset", rc=1)
    assert p.stdout.endswith("-E- Firmware reset failed, retry operation or reboot machine.\n")
    assert hw.param("SRIOV_EN")["current"] == 0


def test_latency_ms(hw):
    hw.init("cx6-vpi-ib")
    hw.run("hwsim", "fault", "set", "latency_ms", "300", "rdma")
    t = time.monotonic()
    hw.run("rdma", "system")
    assert time.monotonic() - t >= 0.3
    t = time.monotonic()
    hw.run("ibstat")
    fast = time.monotonic() - t
    assert fast < 0.3 or fast < 2  # other tools are not delayed (loose bound for busy CI)
    assert hw.calls("rdma")[-1]["ms"] >= 300


def test_boot_hang(hw):
    hw.init("cx6-vpi-ib")
    hw.run("hwsim", "fault", "set", "boot_hang", "0.4")
    t = time.monotonic()
    hw.run("hwsim", "boot")
    assert time.monotonic() - t >= 0.4


def test_fault_show_and_clear(hw):
    hw.init("cx6-vpi-ib")
    hw.run("hwsim", "fault", "set", "latency_ms", "5")
    hw.run("hwsim", "fault", "set", "set_ignored", "SRIOV_EN")
    faults = json.loads(hw.out("hwsim", "fault", "show"))
    assert faults == {"latency_ms": {"*": 5.0}, "set_ignored": ["SRIOV_EN"]}
    hw.run("hwsim", "fault", "clear", "latency_ms")
    assert json.loads(hw.out("hwsim", "fault", "show")) == {"set_ignored": ["SRIOV_EN"]}
    hw.run("hwsim", "fault", "set", "no_such_fault", rc=2)


def test_call_log_counts_each_tool(hw):
    hw.init("cx6-vpi-ib")
    hw.run("mlxconfig", "-d", "3b:00.0", "-e", "q")
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1")
    hw.run("rdma", "system")
    hw.run("mlxconfig", "-d", "0000:99:00.0", "q", rc=3)
    calls = hw.calls("mlxconfig")
    assert [c["argv"] for c in calls] == [
        ["mlxconfig", "-d", "3b:00.0", "-e", "q"],
        ["mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1"],
        ["mlxconfig", "-d", "0000:99:00.0", "q"],
    ]
    assert [c["rc"] for c in calls] == [0, 0, 3]
    assert all(isinstance(c["ts"], float) and c["ms"] >= 0 for c in calls)
    assert hw.out("hwsim", "calls", "mlxconfig", "--count").strip() == "3"
    assert hw.out("hwsim", "calls", "--count").strip() == "4"
    assert len(json.loads(hw.out("hwsim", "calls", "rdma", "--json"))) == 1
    hw.run("hwsim", "calls", "--clear")
    assert hw.out("hwsim", "calls", "--count").strip() == "0"


def test_faulted_calls_are_logged_too(hw):
    hw.init("cx6-vpi-ib")
    hw.run("hwsim", "fault", "set", "tool_error", "ibstat")
    hw.run("ibstat", rc=255)
    assert hw.calls("ibstat")[-1]["rc"] == 255
