# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mlxconfig / mstconfig behaviour: device forms, value forms, set/reset semantics, errors."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("dev", ["0000:3b:00.0", "3b:00.0", "3b:00.1", "0000:3b:00.1", "mlx5_0", "mlx5_1"])
def test_device_forms(hw, dev):
    hw.init("cx6-vpi-ib")
    out = hw.out("mlxconfig", "-d", dev, "q", "SRIOV_EN")
    assert f"Device:             {dev}" in out
    assert "SRIOV_EN" in out


def test_mst_paths_need_mst_start_and_mstconfig_cannot_open_them(hw):
    hw.init("cx6-vpi-ib")
    hw.run("mlxconfig", "-d", "/dev/mst/mt4123_pciconf0", "q", rc=3)
    hw.run("mst", "start")
    hw.run("mlxconfig", "-d", "/dev/mst/mt4123_pciconf0", "q")
    hw.run("mlxconfig", "-d", "/dev/mst/mt4123_pciconf0.1", "q")
    p = hw.run("mstconfig", "-d", "/dev/mst/mt4123_pciconf0", "q", rc=3)
    assert p.stdout == "-E- Failed to open the device\n"
    hw.run("hwsim", "boot")  # mst is not started after a reboot
    hw.run("mlxconfig", "-d", "/dev/mst/mt4123_pciconf0", "q", rc=3)


@pytest.mark.parametrize("value,code", [("ETH", 2), ("eth", 2), ("2", 2), ("IB", 1), ("1", 1), ("VPI", 3)])
def test_enum_values_symbolic_or_numeric(hw, value, code):
    hw.init("cx6-vpi-ib")
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", f"LINK_TYPE_P1={value}")
    p = hw.param("LINK_TYPE_P1")
    assert p["next"] == code and p["current"] == 1


@pytest.mark.parametrize("value,code", [("True", 1), ("true", 1), ("1", 1), ("False", 0), ("0", 0)])
def test_bool_values(hw, value, code):
    hw.init("cx6-vpi-ib")
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", f"SRIOV_EN={value}")
    assert hw.param("SRIOV_EN")["next"] == code


@pytest.mark.parametrize(
    "assignment,message",
    [
        ("LINK_TYPE_P1=FOO", "-E- Unknown value FOO"),
        ("ATS_ENABLED=5", "-E- Unknown value 5"),
        ("NUM_OF_VFS=abc", "-E- Cannot parse the value"),
        ("NUM_OF_VFS=70000", "-E- The value 70000 is not valid,  as its size is 16 bits"),
        ("NO_SUCH_PARAM=1", "-E- Unknown Parameter: NO_SUCH_PARAM"),
        ("INTERNAL_CPU_MODEL=1", "-E- The Device doesn't support INTERNAL_CPU_MODEL parameter"),
    ],
)
def test_set_errors_write_nothing(hw, assignment, message):
    hw.init("cx6-vpi-ib")
    before = hw.state()["nics"][0]["params"]
    p = hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1", assignment, rc=3)
    assert p.stdout.splitlines()[-1] == message
    assert "Applying" not in p.stdout
    assert hw.state()["nics"][0]["params"] == before


def test_link_type_p2_absent_on_single_port_and_eth_only_cards(hw):
    hw.init("cx7-ib")
    p = hw.run("mlxconfig", "-d", "ca:00.0", "q", "LINK_TYPE_P2", rc=3)
    assert p.stdout.endswith("-E- The Device doesn't support LINK_TYPE_P2 parameter\n")
    assert "LINK_TYPE_P1" in hw.out("mlxconfig", "-d", "ca:00.0", "q")
    hw.init("cx5ex-roce")
    out = hw.out("mlxconfig", "-d", "af:00.0", "q")
    assert "LINK_TYPE_P1" not in out and "LINK_TYPE_P2" not in out


def test_bf2_dpu_mode_params(hw):
    hw.init("bf2-dpu")
    out = hw.out(
        "mlxconfig",
        "-d",
        "03:00.0",
        "q",
        "INTERNAL_CPU_MODEL",
        "INTERNAL_CPU_OFFLOAD_ENGINE",
        "LINK_TYPE_P1",
        "LINK_TYPE_P2",
    )
    assert "EMBEDDED_CPU(1)" in out and "ENABLED(0)" in out and out.count("ETH(2)") == 2


def test_set_without_y_reads_the_answer(hw):
    hw.init("cx6-vpi-ib")
    p = hw.run("mlxconfig", "-d", "3b:00.0", "set", "SRIOV_EN=1", stdin="", rc=2)
    assert p.stdout.endswith(" Apply new Configuration? (y/n) [n] : -E- Aborted by user.\n")
    assert hw.param("SRIOV_EN")["next"] == 0
    hw.run("mlxconfig", "-d", "3b:00.0", "set", "SRIOV_EN=1", stdin="y\n")
    assert hw.param("SRIOV_EN")["next"] == 1


def test_set_then_query_shows_pending_value(hw):
    hw.init("cx6-vpi-ib")
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "NUM_OF_VFS=8", "SRIOV_EN=True")
    out = hw.out("mlxconfig", "-d", "3b:00.0", "-e", "q", "NUM_OF_VFS", "SRIOV_EN")
    rows = [x for x in out.splitlines() if x.startswith("*")]
    assert [r.split() for r in rows] == [
        ["*", "NUM_OF_VFS", "0", "0", "8"],
        ["*", "SRIOV_EN", "False(0)", "False(0)", "True(1)"],
    ]
    # plain q shows only Next Boot
    out = hw.out("mlxconfig", "-d", "3b:00.0", "q", "NUM_OF_VFS")
    assert out.splitlines()[-1].split() == ["NUM_OF_VFS", "8"]


def test_reset_sets_next_boot_to_default(hw):
    hw.init("cx5ex-roce")
    assert hw.param("NUM_OF_VFS")["next"] == 4
    out = hw.out("mlxconfig", "-d", "af:00.0", "-y", "reset")
    assert out.splitlines() == [
        "",
        " Reset configuration for device af:00.0? (y/n) [n] : y",
        "Applying... Done!",
        "-I- Please reboot machine to load new configurations.",
    ]
    p = hw.param("NUM_OF_VFS")
    assert p["next"] == 0 and p["current"] == 4


def test_array_params(hw):
    hw.init("cx6-vpi-ib")
    out = hw.out("mlxconfig", "-d", "3b:00.0", "q", "ESWITCH_HAIRPIN_DESCRIPTORS[0..3]")
    rows = out.splitlines()[-4:]
    assert [r.split()[0] for r in rows] == [f"ESWITCH_HAIRPIN_DESCRIPTORS[{i}]" for i in range(4)]
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "ESWITCH_HAIRPIN_DESCRIPTORS[2]=7")
    out = hw.out("mlxconfig", "-d", "3b:00.0", "-e", "q", "ESWITCH_HAIRPIN_DESCRIPTORS[2]")
    assert out.splitlines()[-2].split() == ["*", "ESWITCH_HAIRPIN_DESCRIPTORS[2]", "0", "0", "7"]
    assert "Array[0..7]" in hw.out("mlxconfig", "-d", "3b:00.0", "q", "ESWITCH_HAIRPIN_DESCRIPTORS")


def test_query_without_device_lists_every_function(hw):
    hw.init("cx6-vpi-ib")
    out = hw.out("mstconfig", "q", "SRIOV_EN")
    assert "Device #1:" in out and "Device #2:" in out
    assert "Device:         0000:3b:00.1    " in out


def test_errors_to_stderr_option(hw):
    hw.init("cx6-vpi-ib", "--mlxconfig-errors", "stderr")
    p = hw.run("mlxconfig", "-d", "0000:99:00.0", "q", rc=3)
    assert p.stdout == "" and p.stderr == "-E- Failed to open the device\n"


def test_mlxfwreset_applies_next_boot(hw):
    hw.init("cx6-vpi-ib")
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1", "NUM_OF_VFS=4", "PF_LOG_BAR_SIZE=6")
    out = hw.out("mlxfwreset", "-d", "3b:00.0", "-y", "reset")
    assert out.splitlines()[:5] == [
        "",
        "Minimal reset level for device, 3b:00.0:",
        "",
        "3: Driver restart and PCI reset",
        "Continue with reset?[y/N] y",
    ]
    assert "-I- Sending Reset Command To Fw             -Done" in out
    assert out.endswith("-I- FW was loaded successfully.\n")
    assert hw.param("SRIOV_EN")["current"] == 1 and hw.param("NUM_OF_VFS")["current"] == 4
    # a BAR size change needs a host reboot: still pending after the firmware reset
    assert hw.param("PF_LOG_BAR_SIZE")["current"] == 5
    assert (hw.sysfs / "bus/pci/devices/0000:3b:00.0/sriov_totalvfs").read_text() == "4\n"
    rec = hw.boots()[-1]
    assert rec["kind"] == "fwreset" and rec["pending_host_reboot"] == ["PF_LOG_BAR_SIZE"]
    assert hw.state()["runtime"]["boot_count"] == 0  # not a reboot


def test_mlxfwreset_query_and_errors(hw):
    hw.init("cx6-vpi-ib")
    out = hw.out("mlxfwreset", "-d", "3b:00.0", "q")
    assert "3: Driver restart and PCI reset" in out
    hw.run("mlxfwreset", "-d", "0000:99:00.0", "-y", "reset", rc=1)
    p = hw.run("mlxfwreset", "-d", "3b:00.0", "reset", stdin="", rc=1)
    assert p.stdout.endswith("-E- EOF when reading a line.\n")
