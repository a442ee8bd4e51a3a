# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sysfs-like tree and the sriov_numvfs write semantics."""

from __future__ import annotations

import os


def test_tree_layout(hw):
    hw.init("cx6-vpi-ib")
    s = hw.sysfs
    ib = s / "class/infiniband/mlx5_0"
    assert (ib / "node_guid").read_text() == "b859:9f03:00a1:6e40\n"
    assert (ib / "fw_ver").read_text() == "20.31.1014\n"
    assert (ib / "board_id").read_text() == "MT_0000000223\n"
    assert (ib / "hca_type").read_text() == "MT4123\n"
    assert os.readlink(ib / "device") == "../../../0000:3b:00.0"
    assert os.path.realpath(ib / "device") == os.path.realpath(s / "bus/pci/devices/0000:3b:00.0")
    port = ib / "ports/1"
    assert (port / "state").read_text() == "4: ACTIVE\n"
    assert (port / "phys_state").read_text() == "5: LinkUp\n"
    assert (port / "link_layer").read_text() == "InfiniBand\n"
    assert (port / "rate").read_text() == "100 Gb/sec (2X HDR)\n"
    assert (port / "gids/0").read_text() == "fe80:0000:0000:0000:b859:9f03:00a1:6e40\n"
    assert int((port / "lid").read_text(), 16) > 0 and (port / "sm_lid").read_text() == "0x1\n"
    net = s / "class/net/ibp59s0f0"
    assert (net / "operstate").read_text() == "up\n"
    assert (net / "address").read_text().startswith("00:00:10:49:fe:80:")
    assert os.path.realpath(net / "device") == os.path.realpath(s / "bus/pci/devices/0000:3b:00.0")
    pci = s / "bus/pci/devices/0000:3b:00.0"
    assert (pci / "vendor").read_text() == "0x15b3\n" and (pci / "device").read_text() == "0x101b\n"
    assert (pci / "net/ibp59s0f0").is_dir() and (pci / "infiniband/mlx5_0").is_dir()
    assert not (pci / "sriov_totalvfs").exists()  # SRIOV_EN=False: no SR-IOV capability
    assert os.path.basename(os.path.realpath(pci / "driver")) == "mlx5_core"


def test_roce_gids_and_netdev(hw):
    hw.init("cx5ex-roce")
    port = hw.sysfs / "class/infiniband/mlx5_0/ports/1"
    assert (port / "gid_attrs/types/0").read_text() == "IB/RoCE v1\n"
    assert (port / "gid_attrs/types/1").read_text() == "RoCE v2\n"
    assert (port / "gid_attrs/ndevs/0").read_text() == "enp175s0f0np0\n"
    assert (hw.sysfs / "class/net/enp175s0f0np0/address").read_text() == "0c:42:a1:40:29:a0\n"


def test_sriov_write_creates_vfs_on_next_call(hw):
    hw.init("cx5ex-roce")
    pf = hw.sysfs / "class/net/enp175s0f0np0/device"
    assert (pf / "sriov_totalvfs").read_text() == "4\n"
    (pf / "sriov_numvfs").write_text("2\n")
    assert not (pf / "virtfn0").exists()  # plain file: not applied until hwsim reconciles
    out = hw.out("ibdev2netdev")
    assert out.count("==>") == 4
    assert os.readlink(pf / "virtfn0") == "../0000:af:00.2" and (pf / "virtfn1").exists()
    vf = hw.sysfs / "bus/pci/devices/0000:af:00.2"
    assert os.readlink(vf / "physfn") == "../0000:af:00.0"
    assert (vf / "device").read_text() == "0x101a\n"
    assert len(os.listdir(vf / "net")) == 1 and len(os.listdir(vf / "infiniband")) == 1


def test_sriov_write_over_total_is_reverted(hw):
    hw.init("cx5ex-roce")
    f = hw.sysfs / "class/net/enp175s0f0np0/device/sriov_numvfs"
    f.write_text("5\n")
    p = hw.run("hwsim", "sync", rc=1)
    assert "Numerical result out of range" in p.stderr
    assert f.read_text() == "0\n"
    assert "refused" in (hw.state_dir / "kmsg.log").read_text()
    assert hw.state()["sriov_errors"][-1] == {
        "bdf": "0000:af:00.0",
        "value": "5",
        "error": "Numerical result out of range",
    }


def test_sriov_nonzero_to_nonzero_is_busy(hw):
    hw.init("cx5ex-roce")
    f = hw.sysfs / "class/net/enp175s0f0np0/device/sriov_numvfs"
    f.write_text("2")
    hw.run("hwsim", "sync")
    f.write_text("3")
    p = hw.run("hwsim", "sync", rc=1)
    assert "Device or resource busy" in p.stderr
    assert f.read_text() == "2\n"
    assert "2 VFs already enabled. Disable before enabling 3 VFs" in (hw.state_dir / "kmsg.log").read_text()
    f.write_text("0")
    hw.run("hwsim", "sync")
    f.write_text("3")
    hw.run("hwsim", "sync")
    assert len([x for x in os.listdir(f.parent) if x.startswith("virtfn")]) == 3


def test_sriov_garbage_is_einval(hw):
    hw.init("cx5ex-roce")
    f = hw.sysfs / "class/net/enp175s0f0np0/device/sriov_numvfs"
    f.write_text("many")
    p = hw.run("hwsim", "sync", rc=1)
    assert "Invalid argument" in p.stderr and f.read_text() == "0\n"


def test_hwsim_vfs_validates_like_the_kernel(hw):
    hw.init("cx5ex-roce")
    p = hw.run("hwsim", "vfs", "af:00.1", "9", rc=1)
    assert "Numerical result out of range" in p.stderr
    hw.run("hwsim", "vfs", "af:00.1", "4")
    p = hw.run("hwsim", "vfs", "af:00.1", "1", rc=1)
    assert "Device or resource busy" in p.stderr
    hw.run("hwsim", "vfs", "af:00.1", "0")
    hw.init("cx6-vpi-ib")
    p = hw.run("hwsim", "vfs", "mlx5_0", "1", rc=1)
    assert "No such file or directory" in p.stderr


def test_vf_names_and_indexes(hw):
    hw.init("cx6-vpi-ib")
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1", "NUM_OF_VFS=2")
    hw.run("hwsim", "boot")
    hw.run("hwsim", "vfs", "mlx5_0", "2")
    hw.run("hwsim", "vfs", "mlx5_1", "2")
    dev = hw.out("rdma", "dev").splitlines()
    assert [x.split()[1] for x in dev] == ["mlx5_0:", "mlx5_1:", "mlx5_2:", "mlx5_3:", "mlx5_4:", "mlx5_5:"]
    lspci = hw.out("lspci").splitlines()
    assert [x.split()[0] for x in lspci] == ["3b:00.0", "3b:00.1", "3b:00.2", "3b:00.3", "3b:00.4", "3b:00.5"]
    hw.run("hwsim", "vfs", "mlx5_0", "0")
    hw.run("hwsim", "vfs", "mlx5_0", "2")
    dev = hw.out("rdma", "dev").splitlines()
    # names are reused (lowest free), device indexes are not (as in the kernel)
    assert sorted(x.split()[1] for x in dev) == ["mlx5_0:", "mlx5_1:", "mlx5_2:", "mlx5_3:", "mlx5_4:", "mlx5_5:"]
    assert sorted(int(x.split(":")[0]) for x in dev) == [0, 1, 4, 5, 6, 7]


def test_rdma_info_reader_sees_the_tree(hw):
    from ansible_collections.rdmaops.fabric.plugins.module_utils import _rdma

    hw.init("cx5ex-roce")
    hw.run("hwsim", "vfs", "af:00.0", "1")
    devs = {d["name"]: d for d in _rdma.read_sysfs_devices(str(hw.sysfs))}
    assert set(devs) == {"mlx5_0", "mlx5_1", "mlx5_2"}
    pf = devs["mlx5_0"]
    assert pf["pci_address"] == "0000:af:00.0" and pf["sriov_totalvfs"] == 4 and pf["sriov_numvfs"] == 1
    assert pf["driver"] == "mlx5_core" and pf["fw_version"] == "16.35.2000" and not pf["is_vf"]
    assert pf["ports"][0]["netdev"] == "enp175s0f0np0" and pf["ports"][0]["rate_gbps"] == 100.0
    vf = devs["mlx5_2"]
    assert vf["is_vf"] and vf["pf_pci_address"] == "0000:af:00.0"
    assert _rdma.read_sysfs_netns_mode(str(hw.sysfs)) == "shared"
