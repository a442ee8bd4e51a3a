# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Boot semantics: Next Boot -> Current, VFs reset, netns from modprobe.d, modules-load.d, counters."""

from __future__ import annotations

import json
import os

import pytest


def test_boot_applies_next_boot_and_counts(hw):
    hw.init("cx6-vpi-ib")
    assert hw.state()["runtime"]["boot_count"] == 0 and hw.boots() == []
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1", "NUM_OF_VFS=8")
    assert hw.param("SRIOV_EN")["current"] == 0
    out = hw.out("hwsim", "boot")
    assert "boot 1:" in out
    assert hw.param("SRIOV_EN")["current"] == 1 and hw.param("NUM_OF_VFS")["current"] == 8
    st = hw.state()
    assert st["runtime"]["boot_count"] == 1
    boots = hw.boots()
    assert len(boots) == 1 and boots[0]["kind"] == "boot" and boots[0]["boot"] == 1
    assert boots[0]["applied"]["0000:3b:00.0"] == {"SRIOV_EN": [0, 1], "NUM_OF_VFS": [0, 8]}
    hw.run("hwsim", "boot")
    assert hw.out("hwsim", "boots", "--count").strip() == "2"


def test_boot_resets_vfs_and_mst(hw):
    hw.init("cx5ex-roce")
    hw.run("mst", "start")
    hw.run("hwsim", "vfs", "enp175s0f0np0", "3")
    numvfs = hw.sysfs / "class/net/enp175s0f0np0/device/sriov_numvfs"
    assert numvfs.read_text() == "3\n"
    assert (hw.sysfs / "bus/pci/devices/0000:af:00.0/virtfn2").is_symlink()
    hw.run("hwsim", "boot")
    assert numvfs.read_text() == "0\n"
    assert not (hw.sysfs / "bus/pci/devices/0000:af:00.0/virtfn0").exists()
    assert not hw.state()["runtime"]["mst_started"]
    assert "MST PCI configuration module is not loaded" in hw.out("mst", "status")


def test_link_type_change_takes_effect_at_boot(hw):
    hw.init("cx6-vpi-ib")
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "LINK_TYPE_P2=ETH")
    assert (hw.sysfs / "class/infiniband/mlx5_1/ports/1/link_layer").read_text() == "InfiniBand\n"
    hw.run("hwsim", "boot")
    assert (hw.sysfs / "class/infiniband/mlx5_1/ports/1/link_layer").read_text() == "Ethernet\n"
    assert (hw.sysfs / "class/net/enp59s0f1np1").is_dir()
    assert "link mlx5_1/1 state ACTIVE physical_state LINK_UP netdev enp59s0f1np1 " in hw.out("rdma", "link")


@pytest.mark.parametrize(
    "conf,mode",
    [
        (None, "shared"),
        ("options ib_core netns_mode=0\n", "exclusive"),
        ("options ib_core netns_mode=1\n", "shared"),
        ("# comment\noptions ib-core foo=1 netns_mode=n\n", "exclusive"),
        ("options ib_core netns_mode=0\noptions ib_core netns_mode=1\n", "shared"),  # last one wins
        ("options mlx5_core netns_mode=0\n", "shared"),
    ],
)
def test_netns_mode_comes_from_modprobe_d(hw, conf, mode):
    hw.init("cx6-vpi-ib")
    if conf is not None:
        hw.etc("modprobe.d/ib_core.conf", conf)
    hw.run("hwsim", "boot")
    assert hw.out("rdma", "system").split()[1] == mode
    assert (hw.sysfs / "module/ib_core/parameters/netns_mode").read_text() == ("Y\n" if mode == "shared" else "N\n")


def test_modprobe_files_are_read_in_name_order_and_etc_overrides_lib(hw):
    hw.init("cx6-vpi-ib")
    hw.etc("modprobe.d/10-a.conf", "options ib_core netns_mode=0\n")
    hw.etc("modprobe.d/20-b.conf", "options ib_core netns_mode=1\n")
    lib = hw.root / "usr/lib/modprobe.d"
    lib.mkdir(parents=True)
    (lib / "30-c.conf").write_text("options ib_core netns_mode=0\n")
    (lib / "20-b.conf").write_text("options ib_core netns_mode=0\n")  # shadowed by /etc/modprobe.d/20-b.conf
    hw.etc("modprobe.d/ignored.txt", "options ib_core netns_mode=1\n")
    hw.run("hwsim", "boot")
    assert hw.out("rdma", "system").split()[1] == "exclusive"  # 30-c.conf is last


def test_runtime_netns_switch_is_lost_at_reboot(hw):
    hw.init("cx6-vpi-ib")
    hw.run("rdma", "system", "set", "netns", "exclusive")
    assert hw.out("rdma", "system").startswith("netns exclusive")
    hw.run("hwsim", "boot")
    assert hw.out("rdma", "system").startswith("netns shared")


def test_netns_switch_fails_while_pods_exist(hw):
    hw.init("cx6-vpi-ib")
    hw.run("hwsim", "pods", "3")
    p = hw.run("rdma", "system", "set", "netns", "exclusive", rc=1)
    assert p.stdout == "" and p.stderr == "error: Device or resource busy\n"
    assert hw.out("rdma", "system").startswith("netns shared")
    hw.run("rdma", "system", "set", "netns", "shared")  # no change requested: the kernel says yes
    hw.run("hwsim", "pods", "0")
    hw.run("rdma", "system", "set", "netns", "exclusive")
    assert hw.out("rdma", "system").startswith("netns exclusive")


def test_rdma_system_set_errors(hw):
    hw.init("cx6-vpi-ib")
    p = hw.run("rdma", "system", "set", "netns", "private", rc=1)
    assert p.stderr == "valid options are: { shared | exclusive }\n"
    p = hw.run("rdma", "system", "set", "privileged-qkey", "on", rc=0)  # iproute2 6.1: unknown, exit 0
    assert p.stderr == "Unknown parameter 'privileged-qkey'.\n"
    hw.init("cx7-ib")
    hw.run("rdma", "system", "set", "privileged-qkey", "on")
    assert "privileged-qkey on" in hw.out("rdma", "system")
    p = hw.run("rdma", "system", "set", "privileged-qkey", "maybe", rc=1)
    assert p.stderr.startswith('Error: argument of "privileged-qkey" must be one of "off", "on"')


def test_modules_load_d_counts_as_loaded(hw):
    hw.init("cx6-vpi-ib")
    hw.etc("modules-load.d/rdma.conf", "# rdma\nib_umad\nrdma_ucm\n;comment\n")
    hw.etc("modules", "ib_ipoib\n")
    hw.run("hwsim", "boot")
    mods = hw.state()["runtime"]["loaded_modules"]
    assert "ib_umad" in mods and "rdma_ucm" in mods and "mlx5_core" in mods
    assert (hw.sysfs / "module/ib_umad").is_dir()
    os.unlink(hw.root / "etc/modules-load.d/rdma.conf")
    hw.run("hwsim", "boot")
    assert "ib_umad" not in hw.state()["runtime"]["loaded_modules"]


def test_boot_without_state_uses_etc_hwsim_profile(hw):
    out = hw.out("hwsim", "boot")
    assert "nothing to boot" in out
    hw.etc("hwsim/profile", "cx7-ib\n")
    out = hw.out("hwsim", "boot")
    assert "first start" in out
    st = hw.state()
    assert st["profile"] == "cx7-ib" and st["runtime"]["boot_count"] == 0
    hw.run("hwsim", "boot")
    assert hw.state()["runtime"]["boot_count"] == 1


def test_tools_without_state_say_so(hw):
    p = hw.run("rdma", "system", rc=1)
    assert "hwsim init" in p.stderr


def test_subnet_manager_off_leaves_ib_ports_initializing(hw):
    hw.init("cx7-ib")
    hw.run("hwsim", "sm", "off")
    assert "state INIT physical_state LINK_UP" in hw.out("rdma", "link")
    assert (hw.sysfs / "class/infiniband/mlx5_0/ports/1/state").read_text() == "2: INIT\n"
    hw.run("hwsim", "sm", "on")
    assert (hw.sysfs / "class/infiniband/mlx5_0/ports/1/state").read_text() == "4: ACTIVE\n"


def test_every_profile_boots(hw, any_profile):
    hw.init(any_profile)
    hw.run("hwsim", "boot")
    for tool, args in (
        ("rdma", ["system"]),
        ("rdma", ["link"]),
        ("rdma", ["dev"]),
        ("ibstat", []),
        ("ibv_devices", []),
        ("ibv_devinfo", ["-v"]),
        ("ibdev2netdev", ["-v"]),
        ("lspci", ["-nn"]),
        ("mst", ["status", "-v"]),
        ("mstconfig", ["q"]),
        ("mlxconfig", ["-e", "q"]),
    ):
        assert hw.out(tool, *args)
    assert hw.out("hwsim", "show")


def test_fw_set_edits_nvram_directly(hw):
    hw.init("cx6-vpi-ib")
    hw.run("hwsim", "fw", "set", "SRIOV_EN=True", "NUM_OF_VFS=2")  # current and next
    assert hw.param("NUM_OF_VFS") == {
        "name": "NUM_OF_VFS",
        "default": 0,
        "current": 2,
        "next": 2,
        "display": {"default": "0", "current": "2", "next": "2"},
    }
    assert (hw.sysfs / "bus/pci/devices/0000:3b:00.0/sriov_totalvfs").read_text() == "2\n"
    hw.run("hwsim", "fw", "set", "--next", "LINK_TYPE_P1=ETH")
    assert hw.param("LINK_TYPE_P1")["display"] == {"default": "IB(1)", "current": "IB(1)", "next": "ETH(2)"}
    hw.run("hwsim", "fw", "set", "NO_SUCH=1", rc=1)
    st = json.loads(hw.out("hwsim", "show", "--json"))
    assert st["profile"] == "cx6-vpi-ib" and "faults" in st
