# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parsers and sysfs readers of plugins/module_utils/_rdma.py."""

from __future__ import annotations

import pytest
from ansible_collections.rdmaops.fabric.plugins.module_utils import _rdma as rdma
from hypothesis import given
from hypothesis import strategies as st
from sample_io import sample
from sysfs_tree import make_sysfs


# --------------------------------------------------------------------------- rdma system
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rdma-system-01.txt", {"netns": "shared", "privileged_qkey": None, "monitor": None, "copy_on_fork": None}),
        ("rdma-system-03.txt", {"netns": "shared", "privileged_qkey": None, "monitor": None, "copy_on_fork": True}),
        ("rdma-system-04.txt", {"netns": "shared", "privileged_qkey": False, "monitor": None, "copy_on_fork": True}),
        ("rdma-system-06.txt", {"netns": "shared", "privileged_qkey": False, "monitor": True, "copy_on_fork": True}),
    ],
)
def test_rdma_system_samples(name, expected):
    assert rdma.parse_rdma_system(sample(name)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("netns exclusive \n", {"netns": "exclusive"}),
        (
            "netns exclusive privileged-qkey on monitor off copy-on-fork off",
            {"privileged_qkey": True, "monitor": False},
        ),
        ("netns shared\ncopy-on-fork on\n", {"copy_on_fork": True}),  # v1 of the patch: two lines
        (
            '[{"netns":"exclusive","privileged-qkey":"on","copy-on-fork":"off"}]',
            {"netns": "exclusive", "copy_on_fork": False},
        ),
        ('{"netns":"shared","monitor":true}', {"netns": "shared", "monitor": True}),
        ("[not json", {"netns": None}),
        ("netns weird", {"netns": None}),
        ("", {"netns": None, "copy_on_fork": None}),
    ],
)
def test_rdma_system_variants(text, expected):
    parsed = rdma.parse_rdma_system(text)
    for key, value in expected.items():
        assert parsed[key] == value


def test_rdma_helpers():
    assert rdma.rdma_object_unknown("Unknown object 'system'.\n")
    assert rdma.rdma_object_unknown('Unknown object "sys"', "sys")
    assert not rdma.rdma_object_unknown("netns shared")
    assert rdma.parse_iproute2_version("rdma utility, iproute2-5.3.0\n") == "5.3.0"
    assert rdma.parse_iproute2_version("rdma utility, iproute2-6.1.0, libbpf 1.1.0") == "6.1.0"
    assert rdma.parse_iproute2_version("rdma utility, iproute2-ss190924") == "ss190924"
    assert rdma.parse_iproute2_version("nothing") is None
    assert rdma.is_busy_error("error: Device or resource busy")
    assert not rdma.is_busy_error("error: Operation not permitted")


def test_rdma_link_sample():
    links = rdma.parse_rdma_link(sample("rdma-link-01.txt"))
    assert len(links) == 8
    assert [link["device"] for link in links] == [f"mlx5_{i}" for i in range(8)]
    assert links[0] == {"device": "mlx5_0", "port": 1, "state": "ACTIVE", "physical_state": "LINK_UP", "netdev": None}
    assert links[3]["netdev"] == "gpu3rdma0"


def test_rdma_link_variants():
    text = (
        "link mlx5_0/1 subnet_prefix fe80:0000:0000:0000 lid 5 sm_lid 1 lmc 0 state ACTIVE physical_state LINK_UP \n"
        "link rocep6s0f1/1 state DOWN physical_state DISABLED netdev ens6f1 \n"
        "garbage line\n"
    )
    links = rdma.parse_rdma_link(text)
    assert links[0]["lid"] == "5" and links[0]["sm_lid"] == "1" and links[0]["netdev"] is None
    assert links[1] == {
        "device": "rocep6s0f1",
        "port": 1,
        "state": "DOWN",
        "physical_state": "DISABLED",
        "netdev": "ens6f1",
    }


def test_rdma_dev_sample():
    devs = rdma.parse_rdma_dev(sample("rdma-dev-show-01.txt"))
    assert devs == [
        {
            "index": 8,
            "name": "rocep6s0f1",
            "node_type": "ca",
            "fw": "16.29.0550",
            "node_guid": "248a:0703:00b3:d113",
            "sys_image_guid": "248a:0703:00b3:d112",
        },
        {
            "index": 13,
            "name": "mlx5_0",
            "node_type": "ca",
            "fw": "16.29.0550",
            "node_guid": "0000:00ff:fe00:8888",
            "sys_image_guid": "248a:0703:00b3:d112",
        },
    ]


def test_rdma_dev_variant_bond_and_caps_line():
    text = (
        "0: mlx5_bond_0: node_type ca fw 2.8.9999 node_guid 9803:9b03:0077:64f6 sys_image_guid 9803:9b03:0077:64f6 \n"
        "    caps: <OPA_MAD_PKEY_NEC>\n"
    )
    devs = rdma.parse_rdma_dev(text)
    assert len(devs) == 1
    assert devs[0]["name"] == "mlx5_bond_0" and devs[0]["fw"] == "2.8.9999"


# --------------------------------------------------------------------------- ibstat / ibv_devinfo / ibdev2netdev
def test_ibstat_ib_sample():
    (ca,) = rdma.parse_ibstat(sample("ibstat-ib-01.txt"))
    assert ca["name"] == "mlx5_0"
    assert ca["number_of_ports"] == 1
    assert ca["firmware_version"] == "12.20.1010"
    assert ca["node_guid"] == "0x248a07030049aee0"
    assert "ca_type" not in ca
    (port,) = ca["ports"]
    assert port == {
        "port": 1,
        "state": "Initializing",
        "physical_state": "LinkUp",
        "rate": 100,
        "base_lid": 65535,
        "lmc": 0,
        "sm_lid": 0,
        "capability_mask": "0x2651e848",
        "port_guid": "0x248a07030049aee0",
        "link_layer": "InfiniBand",
    }


def test_ibstat_roce_sample():
    (ca,) = rdma.parse_ibstat(sample("ibstat-roce-cx4lx-01.txt"))
    assert ca["ca_type"] == "MT4117"
    assert ca["firmware_version"] == "14.23.1020"
    assert ca["ports"][0]["link_layer"] == "Ethernet"
    assert ca["ports"][0]["rate"] == 25
    assert ca["ports"][0]["port_guid"] == "0xee0d9afffe9e9fae"


def test_ibstat_multi_ca_without_blank_lines_spaces_and_empty_ca_type():
    text = (
        "CA 'rxe0'\n"
        "    CA type: \n"
        "    Number of ports: 1\n"
        "    Port 1:\n"
        "        State: Active\n"
        "        Rate: 2.5\n"
        "CA 'mlx5_1'\n"
        "\tCA type: MT4119\n"
        "\tPort 1:\n"
        "\t\tState: Down\n"
        "\tPort 2:\n"
        "\t\tState: Active\n"
    )
    cas = rdma.parse_ibstat(text)
    assert [c["name"] for c in cas] == ["rxe0", "mlx5_1"]
    assert cas[0]["ca_type"] is None
    assert cas[0]["ports"][0]["rate"] == 2.5
    assert [p["state"] for p in cas[1]["ports"]] == ["Down", "Active"]


def test_ibv_devinfo_mlx4_sample():
    (dev,) = rdma.parse_ibv_devinfo(sample("ibv-devinfo-mlx4-eth-01.txt"))
    assert dev["hca_id"] == "mlx4_0"
    assert dev["fw_ver"] == "2.9.1200"
    assert dev["node_guid"] == "0002:c903:004b:feee"
    assert dev["vendor_part_id"] == 26428
    assert dev["hw_ver"] == "0xB0"
    assert dev["board_id"] == "MT_0FC0110009"
    assert dev["phys_port_cnt"] == 2
    assert [p["port"] for p in dev["ports"]] == [1, 2]
    assert dev["ports"][1]["state"] == "PORT_ACTIVE (4)"
    assert dev["ports"][1]["link_layer"] == "Ethernet"
    assert dev["ports"][0]["active_mtu"] == "4096 (5)"


def test_ibv_devinfo_verbose_sample():
    (dev,) = rdma.parse_ibv_devinfo(sample("ibv-devinfo-v-cx6dx-01.txt"))
    assert dev["hca_id"] == "rocep61s0f1"
    assert dev["fw_ver"] == "22.36.1010"
    assert dev["board_id"] == "MT_0000000359"
    assert dev["vendor_part_id"] == 4125
    assert dev["device_cap_flags"] == "0xed721c36"
    assert dev["device_cap_flags_list"][0] == "BAD_PKEY_CNTR"
    assert dev["device_cap_flags_list"][-1] == "Unknown flags: 0xC8400000"
    assert dev["completion_timestamp_mask"] == "0x7fffffffffffffff"
    assert dev["uc_odp_caps_list"] == ["NO SUPPORT"]
    assert dev["raw_packet_caps_list"][0] == "C-VLAN stripping offload"
    assert dev["supported_qp_list"] == ["SUPPORT_RAW_PACKET"]
    assert dev["num_comp_vectors"] == 48
    (port,) = dev["ports"]
    assert port["state"] == "PORT_ACTIVE (4)"
    assert port["active_mtu"] == "1024 (3)"
    assert port["phys_state"] == "LINK_UP (5)"
    assert port["active_speed"] == "25.0 Gbps (32)"
    assert port["gids"] == [
        {"index": 0, "gid": "fe80:0000:0000:0000:c670:bdff:feaa:1fc9", "type": "RoCE v1"},
        {"index": 1, "gid": "fe80::c670:bdff:feaa:1fc9", "type": "RoCE v2"},
        {"index": 2, "gid": "0000:0000:0000:0000:0000:ffff:0a16:74dd", "type": "RoCE v1"},
        {"index": 3, "gid": "::ffff:10.22.116.221", "type": "RoCE v2"},
    ]


def test_ibv_devinfo_tabs_and_two_devices():
    text = (
        "hca_id:\tmlx5_0\n\ttransport:\t\t\tInfiniBand (0)\n\tfw_ver:\t\t\t\t20.31.1014\n"
        "\t\tport:\t1\n\t\t\tstate:\t\t\tPORT_DOWN (1)\n\t\t\tGID[  0]:\t\tfe80:0000:0000:0000:0000:0000:0000:0001\n"
        "\nhca_id:\tmlx5_1\n\tfw_ver:\t\t\t\t20.31.1014\n"
    )
    devs = rdma.parse_ibv_devinfo(text)
    assert [d["hca_id"] for d in devs] == ["mlx5_0", "mlx5_1"]
    assert devs[0]["ports"][0]["gids"][0]["type"] is None
    assert devs[0]["ports"][0]["state"] == "PORT_DOWN (1)"
    assert rdma.parse_ibv_devinfo("no device\n") == []


def test_ibdev2netdev_samples():
    assert rdma.parse_ibdev2netdev(sample("ibdev2netdev-eth-01.txt")) == [
        {"device": "mlx5_0", "port": 1, "netdev": "ens17f0", "netdev_state": "Up"},
        {"device": "mlx5_1", "port": 1, "netdev": "ens17f1", "netdev_state": "Up"},
    ]
    assert rdma.parse_ibdev2netdev(sample("ibdev2netdev-ib-01.txt"))[1] == {
        "device": "mlx5_1",
        "port": 1,
        "netdev": "ib1",
        "netdev_state": "Down",
    }


@pytest.mark.parametrize(
    ("name", "netdev0"), [("ibdev2netdev-v-eth-01.txt", "enp2s0f0"), ("ibdev2netdev-v-ib-01.txt", "ib0")]
)
def test_ibdev2netdev_verbose_samples(name, netdev0):
    rows = rdma.parse_ibdev2netdev(sample(name))
    assert len(rows) == 6
    assert rows[0] == {
        "device": "mlx5_0",
        "port": 1,
        "netdev": netdev0,
        "netdev_state": "Up",
        "pci_address": "0000:02:00.0",
        "device_id": "MT4115",
        "psid": "MT1523X04353",
        "board": "CX456A - ConnectX-4 QSFP",
        "fw": "12.23.1020",
        "port_state": "ACTIVE",
    }
    vf = rows[2]
    assert (vf["pci_address"], vf["device_id"], vf["psid"], vf["board"], vf["port_state"]) == (
        "0000:02:00.5",
        "MT4116",
        None,
        None,
        "DOWN",
    )
    # rows keep the tool's order, which is not sorted by PCI address
    assert [r["pci_address"] for r in rows][-1] == "0000:02:00.2"


# --------------------------------------------------------------------------- ofed_info
@pytest.mark.parametrize(
    ("text", "stack", "version"),
    [
        (sample("ofed-info-s-01.txt"), "mlnx_ofed", "23.07-0.5.1.2"),
        (sample("ofed-info-s-03.txt"), "doca_ofed", "25.10-1.7.1"),
        ("MLNX_OFED_LINUX-5.8-1.0.1.1:\n", "mlnx_ofed", "5.8-1.0.1.1"),
        ("OFED-internal-24.10-1.1.4.0.200:\n", "doca_ofed", "24.10-1.1.4.0.200"),
        ("\n\nMLNX_OFED_LINUX-4.9-7.1.0.0:", "mlnx_ofed", "4.9-7.1.0.0"),
        ("", "inbox", None),
        ("mlnx-en-5.4-1.0.3.0:\n", "unknown", "mlnx-en-5.4-1.0.3.0"),
    ],
)
def test_ofed_info(text, stack, version):
    assert rdma.parse_ofed_info(text) == {"stack": stack, "version": version}


# --------------------------------------------------------------------------- modprobe.d
def test_modprobe_parse():
    assert rdma.parse_modprobe_netns_mode("options ib_core netns_mode=0\n") == "exclusive"
    assert rdma.parse_modprobe_netns_mode("options ib_core netns_mode=1\n") == "shared"
    assert rdma.parse_modprobe_netns_mode("options  ib_core  foo=1 netns_mode=N # comment\n") == "exclusive"
    assert rdma.parse_modprobe_netns_mode("# options ib_core netns_mode=0\n") is None
    assert rdma.parse_modprobe_netns_mode("options ib_core netns_mode=0\noptions ib_core netns_mode=1\n") == "shared"
    assert rdma.parse_modprobe_netns_mode("options mlx5_core x=1\n") is None
    assert rdma.parse_modprobe_netns_mode("options ib_core netns_mode=maybe\n") is None
    assert rdma.parse_modprobe_netns_mode(None) is None


def test_modprobe_render():
    new = rdma.render_modprobe_conf(None, "exclusive")
    assert new == rdma.MODPROBE_HEADER + "options ib_core netns_mode=0\n"
    assert rdma.render_modprobe_conf(new, "exclusive") == new
    assert rdma.render_modprobe_conf(new, "shared").endswith("options ib_core netns_mode=1\n")
    kept = rdma.render_modprobe_conf("# mine\noptions ib_core foo=1 netns_mode=1  # keep me\nblacklist x", "exclusive")
    assert kept == "# mine\noptions ib_core foo=1 netns_mode=0  # keep me\nblacklist x"
    appended = rdma.render_modprobe_conf("blacklist x", "shared")
    assert appended == "blacklist x\noptions ib_core netns_mode=1\n"
    dedup = rdma.render_modprobe_conf("options ib_core netns_mode=1\noptions ib_core netns_mode=0\n", "exclusive")
    assert dedup == "options ib_core netns_mode=0\n"
    kept_other = rdma.render_modprobe_conf("options ib_core netns_mode=1\noptions ib_core a=1 netns_mode=0\n", "shared")
    assert kept_other == "options ib_core netns_mode=1\noptions ib_core a=1\n"


MODPROBE_LINES = [
    "options ib_core netns_mode=1",
    "options ib_core netns_mode=0",
    "options ib_core foo=1",
    "options  ib_core netns_mode=Y foo=2   # set by hand",
    "# options ib_core netns_mode=0",
    "options mlx5_core prof_sel=2",
    "blacklist rpcrdma",
    "",
]


@given(
    st.sampled_from(["shared", "exclusive"]),
    st.lists(st.sampled_from(MODPROBE_LINES), max_size=6),
    st.sampled_from(["\n", ""]),
)
def test_prop_render_sets_mode_and_is_idempotent(mode, lines, end):
    existing = "\n".join(lines) + end if lines else None
    once = rdma.render_modprobe_conf(existing, mode)
    assert rdma.parse_modprobe_netns_mode(once) == mode
    assert rdma.render_modprobe_conf(once, mode) == once


# --------------------------------------------------------------------------- sysfs
def test_sysfs_devices(tmp_path):
    # the VF total comes from the published `cat sriov_totalvfs` transcript
    transcript = [ln for ln in sample("sysfs-sriov-totalvfs-01.txt").splitlines() if not ln.startswith("[")]
    root = make_sysfs(tmp_path, totalvfs=transcript[0])
    devices = {d["name"]: d for d in rdma.read_sysfs_devices(str(root))}
    assert sorted(devices) == ["mlx5_0", "mlx5_1", "mlx5_2"]
    pf = devices["mlx5_0"]
    assert pf["pci_address"] == "0000:af:00.0"
    assert pf["node_guid"] == "248a:0703:00b3:d112"
    assert pf["fw_version"] == "16.35.2000"
    assert pf["board_id"] == "MT_0000000008"
    assert pf["node_type"] == "CA"
    assert pf["driver"] == "mlx5_core"
    assert (pf["vendor_id"], pf["device_id"], pf["numa_node"]) == ("0x15b3", "0x1017", 1)
    assert (pf["sriov_totalvfs"], pf["sriov_numvfs"], pf["is_vf"]) == (4, 2, False)
    assert pf["netdevs"] == ["ens1f0"]
    assert pf["ports"] == [
        {
            "port": 1,
            "state": "ACTIVE",
            "physical_state": "LinkUp",
            "link_layer": "Ethernet",
            "rate": "100 Gb/sec (4X EDR)",
            "rate_gbps": 100.0,
            "lid": 0,
            "sm_lid": 0,
            "netdev": "ens1f0",
        }
    ]
    vf = devices["mlx5_2"]
    assert (vf["is_vf"], vf["pf_pci_address"], vf["pci_address"]) == (True, "0000:af:00.0", "0000:af:00.2")
    assert vf["sriov_totalvfs"] is None and vf["fw_version"] is None
    assert vf["ports"][0]["state"] == "DOWN" and vf["ports"][0]["netdev"] == "ens1f0v0"
    ibpf = devices["mlx5_1"]
    assert ibpf["pci_address"] == "0000:3b:00.0"  # from uevent
    assert ibpf["netdevs"] == ["ib0", "ib0.8001"]
    assert ibpf["ports"][0]["netdev"] == "ib0"  # the parent, not the child interface
    assert ibpf["ports"][0]["lid"] == 26
    assert ibpf["ports"][0]["rate_gbps"] == 200.0
    assert ibpf["driver"] is None
    assert rdma.read_sysfs_netns_mode(str(root)) == "exclusive"


def test_sysfs_empty(tmp_path):
    assert rdma.read_sysfs_devices(str(tmp_path)) == []
    assert rdma.read_sysfs_netns_mode(str(tmp_path)) is None
    assert rdma.pci_address_of(str(tmp_path / "missing")) is None
    (tmp_path / "dev").mkdir()
    assert rdma.pci_address_of(str(tmp_path / "dev")) is None


def test_small_helpers():
    assert rdma.parse_rate_gbps("2.5 Gb/sec (1X SDR)") == 2.5
    assert rdma.parse_rate_gbps("garbage") is None
    assert rdma.normalize_phys_state("LINK_UP") == "LinkUp"
    assert rdma.normalize_phys_state("Polling") == "Polling"
    assert rdma.normalize_phys_state(None) is None
    assert rdma.format_guid("0x248a07030049aee0") == "248a:0703:0049:aee0"
    assert rdma.format_guid("248a:0703:0049:aee0") == "248a:0703:0049:aee0"
    assert rdma.format_guid(None) is None


# --------------------------------------------------------------------------- devices from tools
def test_devices_from_tool_samples():
    devices = rdma.devices_from_tools(
        rdma_dev=rdma.parse_rdma_dev(sample("rdma-dev-show-01.txt")),
        rdma_link=rdma.parse_rdma_link(sample("rdma-link-01.txt")),
        ibstat=rdma.parse_ibstat(sample("ibstat-roce-cx4lx-01.txt")),
        ibdev2netdev=rdma.parse_ibdev2netdev(sample("ibdev2netdev-v-eth-01.txt")),
    )
    by_name = {d["name"]: d for d in devices}
    assert list(by_name)[:2] == ["rocep6s0f1", "mlx5_0"]
    mlx5_0 = by_name["mlx5_0"]
    assert mlx5_0["fw_version"] == "16.29.0550"  # rdma dev wins over ibstat and ibdev2netdev
    assert mlx5_0["node_guid"] == "0000:00ff:fe00:8888"
    assert mlx5_0["hca_type"] == "MT4117"
    assert mlx5_0["pci_address"] == "0000:02:00.0"
    assert mlx5_0["board_id"] == "MT1523X04353"
    assert mlx5_0["netdevs"] == ["enp2s0f0"]
    port = mlx5_0["ports"][0]
    assert port["state"] == "ACTIVE" and port["physical_state"] == "LinkUp"
    assert port["link_layer"] == "Ethernet" and port["rate_gbps"] == 25.0 and port["rate"] == "25 Gb/sec"
    assert port["netdev"] == "enp2s0f0"
    assert by_name["mlx5_3"]["ports"][0]["netdev"] == "gpu3rdma0"  # rdma link wins over ibdev2netdev
    assert by_name["rocep6s0f1"]["node_type"] == "CA"


def test_devices_from_ibstat_only():
    (dev,) = rdma.devices_from_tools(ibstat=rdma.parse_ibstat(sample("ibstat-ib-01.txt")))
    assert dev["node_guid"] == "248a:0703:0049:aee0"
    assert dev["ports"][0]["state"] == "INIT"
    assert dev["ports"][0]["lid"] == 65535
    assert rdma.devices_from_tools() == []
