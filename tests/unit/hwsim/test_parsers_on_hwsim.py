# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's parsers read every hwsim tool output into the same structure as the closest
real sample: same keys, same value kinds, same columns. (Issue 3 acceptance.)"""

from __future__ import annotations

import pytest
from ansible_collections.rdmaops.fabric.plugins.module_utils import _mlxconfig as mc
from ansible_collections.rdmaops.fabric.plugins.module_utils import _rdma as rd
from sample_io import sample


def kinds(params, column):
    return {mc.parse_tool_value(row[column])["kind"] for row in params.values() if column in row}


def shape(obj):
    """Keys and value types, recursively (lists by their first element)."""
    if isinstance(obj, dict):
        return {k: shape(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [shape(obj[0])] if obj else []
    if obj is None:
        return None
    return type(obj).__name__


# --------------------------------------------------------------------------- mlxconfig / mstconfig
@pytest.mark.parametrize(
    "tool,layout", [("mstconfig", "mstflint-4.21"), ("mlxconfig", "mft"), ("mlxconfig", "mstflint-4.22")]
)
def test_query_parses_like_the_cx5_sample(hw, tool, layout):
    hw.init("cx5ex-roce", f"--{tool}-layout", layout)
    ours = mc.parse_query(hw.out(tool, "-d", "af:00.0", "q"))
    ref = mc.parse_query(sample("mlxconfig-query-cx5-01.txt"))
    assert ours["columns"] == ref["columns"] == ["next_boot"]
    assert set(ours["device_info"]) == set(ref["device_info"])
    assert ours["device_info"]["device_type"] == ref["device_info"]["device_type"] == "ConnectX5"
    assert ours["device_info"]["device"] == "af:00.0"
    assert shape(next(iter(ours["params"].values()))) == shape(next(iter(ref["params"].values())))
    assert kinds(ref["params"], "next_boot") <= kinds(ours["params"], "next_boot")
    common = set(ours["params"]) & set(ref["params"])
    assert len(common) >= 60  # the simulated table is the real one (plus newer parameters)
    for name in ("SRIOV_EN", "NUM_OF_VL_P1", "PCI_ATOMIC_MODE", "PCI_WR_ORDERING", "MEMIC_SIZE_LIMIT"):
        assert ours["params"][name]["next_boot"] == ref["params"][name]["next_boot"], name
    assert ours["errors"] == ref["errors"] == []


@pytest.mark.parametrize("tool", ["mlxconfig", "mstconfig"])
def test_e_query_parses_like_the_e_fixture(hw, tool):
    hw.init("cx6-vpi-ib")
    hw.run(tool, "-d", "3b:00.0", "-y", "set", "KEEP_IB_LINK_UP_P2=0", "MEMIC_SIZE_LIMIT=0")
    names = ["KEEP_IB_LINK_UP_P2", "KEEP_LINK_UP_ON_BOOT_P2", "ESWITCH_HAIRPIN_DESCRIPTORS", "MEMIC_SIZE_LIMIT"]
    ours = mc.parse_query(hw.out(tool, "-d", "3b:00.0", "-e", "q", *names))
    ref = mc.parse_query(sample("mlxconfig-query-e-cx4-fixture-01.txt"))
    assert ours["columns"] == ref["columns"] == ["default", "current", "next_boot"]
    assert ours["current_supported"] == ref["current_supported"] is True
    assert list(ours["params"]) == list(ref["params"]) == names
    for name in names:
        assert ours["params"][name]["modified"] == ref["params"][name]["modified"], name
        for col in ("default", "current", "next_boot"):
            assert (
                mc.parse_tool_value(ours["params"][name][col])["kind"]
                == mc.parse_tool_value(ref["params"][name][col])["kind"]
            )


def test_e_query_parses_like_the_cx5_excerpt(hw):
    hw.init("cx5ex-roce")
    ours = mc.parse_query(hw.out("mstconfig", "-d", "af:00.0", "-e", "q"))
    ref = mc.parse_query(sample("mlxconfig-query-e-cx5-excerpt-01.txt"))
    assert ref["columns"] == ours["columns"]
    for name, row in ref["params"].items():
        assert ours["params"][name] == row, name


@pytest.mark.parametrize(
    "ref_name", ["mlxconfig-set-cx5-01.txt", "mstconfig-set-cx5-01.txt", "mlxconfig-set-cx4-01.txt"]
)
def test_set_parses_like_the_set_samples(hw, ref_name):
    hw.init("cx6-vpi-ib")
    ours = mc.parse_set_output(hw.out("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1", "LINK_TYPE_P1=ETH"))
    ref = mc.parse_set_output(sample(ref_name))
    assert ours["applied"] is ref["applied"] is True
    assert ours["reboot_needed"] is ref["reboot_needed"] is True
    assert ours["errors"] == ref["errors"] == []
    assert shape(next(iter(ours["params"].values()))) == shape(next(iter(ref["params"].values())))
    assert ours["params"]["LINK_TYPE_P1"]["next_boot"] == "IB(1)" and ours["params"]["LINK_TYPE_P1"]["new"] == "ETH(2)"
    assert (
        mc.parse_query(hw.out("mlxconfig", "-d", "3b:00.0", "q", "LINK_TYPE_P1"))["params"]["LINK_TYPE_P1"]["next_boot"]
        == "ETH(2)"
    )


def test_set_failure_parses_like_the_maxvfs_fixture(hw):
    hw.init("cx6-vpi-ib")
    ours = mc.parse_set_output(hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "NUM_OF_VFS=65535", rc=3).stdout)
    ref = mc.parse_set_output(sample("mlxconfig-set-error-maxvfs-fixture-01.txt"))
    assert ours["applied"] is ref["applied"] is False
    assert ours["errors"] == ref["errors"] == ["-E- Parameter NUM_OF_VFS' value is larger than maximum allowed 127"]
    assert set(ours["params"]["NUM_OF_VFS"]) == set(ref["params"]["NUM_OF_VFS"])


def test_open_failure_parses_like_the_sample(hw):
    hw.init("cx6-vpi-ib")
    ours = mc.parse_query(hw.run("mstconfig", "-e", "-d", "0000:3b:00.4", "q", rc=3).stdout)
    ref = mc.parse_query(sample("mstconfig-error-open-01.txt"))
    assert ours == ref
    assert ref["errors"] == ["-E- Failed to open the device"]


def test_unknown_param_is_named_in_the_error(hw):
    hw.init("cx7-ib")
    for name in ("LINK_TYPE_P2", "NO_SUCH_THING"):
        out = hw.run("mlxconfig", "-d", "ca:00.0", "-e", "q", name, rc=3).stdout
        assert mc.unknown_params_from_errors(mc.parse_query(out)["errors"]) == [name]


# --------------------------------------------------------------------------- rdma
@pytest.mark.parametrize(
    "flavour,ref",
    [
        ("5.3", "rdma-system-01.txt"),
        ("6.1", "rdma-system-03.txt"),
        ("6.7", "rdma-system-04.txt"),
        ("6.13", "rdma-system-06.txt"),
    ],
)
def test_rdma_system_parses_like_the_samples(hw, flavour, ref):
    hw.init("cx7-ib", "--iproute2", flavour)
    ours = rd.parse_rdma_system(hw.out("rdma", "system"))
    theirs = rd.parse_rdma_system(sample(ref))
    assert {k for k, v in ours.items() if v is None} == {k for k, v in theirs.items() if v is None}
    assert ours["netns"] == theirs["netns"] == "shared"
    assert rd.parse_rdma_system(hw.out("rdma", "-j", "system")) == ours


def test_rdma_system_busy_is_recognised(hw):
    hw.init("cx6-vpi-ib")
    hw.run("hwsim", "pods", "1")
    p = hw.run("rdma", "system", "set", "netns", "exclusive", rc=1)
    assert rd.is_busy_error(p.stderr)
    assert rd.parse_iproute2_version(hw.out("rdma", "-V")) == "6.1.0"


def test_rdma_link_and_dev_parse_like_the_samples(hw, any_profile):
    hw.init(any_profile)
    links = rd.parse_rdma_link(hw.out("rdma", "link"))
    ref_links = rd.parse_rdma_link(sample("rdma-link-01.txt"))
    base = set(ref_links[0])
    for link in links:
        assert base <= set(link)
        assert isinstance(link["port"], int) and link["state"] == "ACTIVE" and link["physical_state"] == "LINK_UP"
    devs = rd.parse_rdma_dev(hw.out("rdma", "dev"))
    ref_devs = rd.parse_rdma_dev(sample("rdma-dev-show-01.txt"))
    assert {shape(d) == shape(ref_devs[0]) for d in devs} == {True}
    merged = rd.devices_from_tools(rdma_dev=devs, rdma_link=links)
    assert [d["name"] for d in merged] == [d["name"] for d in devs]


def test_ibstat_parses_like_the_samples(hw):
    hw.init("cx5ex-roce")
    ours = rd.parse_ibstat(hw.out("ibstat"))
    ref = rd.parse_ibstat(sample("ibstat-roce-cx4lx-01.txt"))
    assert len(ours) == 2
    assert shape(ours[0]) == shape(ref[0])
    hw.init("cx6-vpi-ib", "--sm", "off")
    ours = rd.parse_ibstat(hw.out("ibstat", "mlx5_0"))
    ref = rd.parse_ibstat(sample("ibstat-ib-01.txt"))
    ref_ca = dict(ref[0], ca_type="str")
    assert set(shape(ours[0])) == set(shape(ref_ca))
    assert shape(ours[0]["ports"][0]) == shape(ref[0]["ports"][0])
    assert ours[0]["ports"][0]["state"] == ref[0]["ports"][0]["state"] == "Initializing"
    assert ours[0]["ports"][0]["base_lid"] == ref[0]["ports"][0]["base_lid"] == 65535


def test_ibv_devinfo_parses_like_the_samples(hw):
    hw.init("cx5ex-roce")
    ours = rd.parse_ibv_devinfo(hw.out("ibv_devinfo"))
    ref = rd.parse_ibv_devinfo(sample("ibv-devinfo-mlx4-eth-01.txt"))
    assert set(ours[0]) == set(ref[0])
    assert shape(ours[0]["ports"][0]) == shape(ref[0]["ports"][0])
    hw.init("bf2-dpu")
    ours = rd.parse_ibv_devinfo(hw.out("ibv_devinfo", "-v", "-d", "mlx5_1"))
    ref = rd.parse_ibv_devinfo(sample("ibv-devinfo-v-cx6dx-01.txt"))
    assert shape(ours[0]) == shape(ref[0])
    assert ours[0]["device_cap_flags_list"] == ref[0]["device_cap_flags_list"]
    assert [g["type"] for g in ours[0]["ports"][0]["gids"]] == ["RoCE v1", "RoCE v2"]


def test_ibdev2netdev_parses_like_the_samples(hw):
    hw.init("cx6-vpi-ib")
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1", "NUM_OF_VFS=4")
    hw.run("hwsim", "boot")
    hw.run("hwsim", "vfs", "mlx5_0", "4")
    for opt, ref_name in (([], "ibdev2netdev-ib-01.txt"), (["-v"], "ibdev2netdev-v-ib-01.txt")):
        ours = rd.parse_ibdev2netdev(hw.out("ibdev2netdev", *opt))
        ref = rd.parse_ibdev2netdev(sample(ref_name))
        assert len(ours) == 6
        assert {repr(shape(r)) for r in ours} == {repr(shape(r)) for r in ref}  # PF rows and VF rows
    ours = rd.parse_ibdev2netdev(hw.out("ibdev2netdev", "-v"))
    ref = rd.parse_ibdev2netdev(sample("ibdev2netdev-v-ib-01.txt"))
    vf, ref_vf = ours[-1], ref[-1]
    assert vf["psid"] is ref_vf["psid"] is None and vf["board"] is ref_vf["board"] is None
    assert vf["port_state"] == ref_vf["port_state"] == "DOWN"


@pytest.mark.parametrize(
    "name,version,ref",
    [
        ("MLNX_OFED_LINUX", "23.07-0.5.1.2", "ofed-info-s-01.txt"),
        ("OFED-internal", "25.10-1.7.1", "ofed-info-s-03.txt"),
    ],
)
def test_ofed_info_parses_like_the_samples(private_hw, name, version, ref):
    hw = private_hw
    hw.init("cx6-vpi-ib")
    hw.run("hwsim", "driver", "install", "--name", name, "--version", version)
    assert rd.parse_ofed_info(hw.out("ofed_info", "-s")) == rd.parse_ofed_info(sample(ref))


def test_sysfs_and_tools_agree(hw, any_profile):
    hw.init(any_profile)
    from_sysfs = {d["name"]: d for d in rd.read_sysfs_devices(str(hw.sysfs))}
    from_tools = rd.devices_from_tools(
        rdma_dev=rd.parse_rdma_dev(hw.out("rdma", "dev")),
        rdma_link=rd.parse_rdma_link(hw.out("rdma", "link")),
        ibstat=rd.parse_ibstat(hw.out("ibstat")),
        ibdev2netdev=rd.parse_ibdev2netdev(hw.out("ibdev2netdev", "-v")),
    )
    assert {d["name"] for d in from_tools} == set(from_sysfs)
    for d in from_tools:
        s = from_sysfs[d["name"]]
        assert d["node_guid"] == s["node_guid"] and d["fw_version"] == s["fw_version"]
        assert d["pci_address"] == s["pci_address"]
        assert d["ports"][0]["state"] == s["ports"][0]["state"]
        assert d["ports"][0]["link_layer"] == s["ports"][0]["link_layer"]
        assert d["ports"][0]["netdev"] == s["ports"][0]["netdev"]
