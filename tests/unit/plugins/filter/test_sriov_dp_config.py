# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rdmaops.fabric.sriov_dp_config: per-node configs from sriov_firmware_nics, validation, and the
published config samples of the SR-IOV network device plugin."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.rdmaops.fabric.plugins.filter.sriov_dp_config import (
    SELECTOR_KEYS,
    FilterModule,
    sriov_dp_config,
)

UPSTREAM = Path(__file__).resolve().parents[3] / "fixtures" / "upstream"
POOLS = [{"resourceName": "mlnx_ib_vf", "linkType": "ib"}, {"resourceName": "mlnx_sriov_rdma", "linkType": "eth"}]


def host(name, *nics, node=None):
    return {"host": name, "node": node or name, "nics": list(nics)}


def _published(name):
    """The config.json of a published ConfigMap sample (header lines dropped)."""
    lines = (UPSTREAM / name).read_text().splitlines(keepends=True)
    body = "".join(line for line in lines if not line.startswith(("# source: ", "# note: ")))
    return json.loads(yaml.safe_load(body)["data"]["config.json"])


def _normalise(config):
    """What the plugin reads: one selector object = a list of one; empty lists and false booleans
    are the same as absent keys (omitempty / zero values)."""
    out = copy.deepcopy(config)
    for pool in out["resourceList"]:
        selectors = pool["selectors"] if isinstance(pool["selectors"], list) else [pool["selectors"]]
        pool["selectors"] = [{k: v for k, v in s.items() if v not in ([], False, None)} for s in selectors]
    return out


@pytest.mark.parametrize(
    "name", ["sriov-dp-configmap-01.yaml", "sriov-dp-configmap-02.yaml", "sriov-dp-configmap-03.yaml"]
)
def test_published_samples_round_trip(name):
    """Each published resourceList, given as pools with explicit selectors, renders the same
    document on every selected node."""
    published = _published(name)
    got = sriov_dp_config(copy.deepcopy(published["resourceList"]), [host("n1"), host("n2")], "intel.com")
    assert got == {"n1": _normalise(published), "n2": _normalise(published)}


def test_generated_config_is_in_the_published_format():
    """What we generate from sriov_firmware_nics uses only the plugin's keys and types, and reads
    back through the explicit-selector path unchanged."""
    nics = [
        {"pci": "3b:00.0", "num_vfs": 8, "link_type": ["ib", "eth"]},
        {"netdev": "ens2f0", "num_vfs": 4, "link_type": "eth"},
        {"device_id": "15b3:101d", "num_vfs": 2},
    ]
    got = sriov_dp_config(POOLS, [host("n1", *nics)])["n1"]
    for pool in got["resourceList"]:
        assert set(pool) <= {"resourceName", "resourcePrefix", "selectors", "excludeTopology"}
        for selector in pool["selectors"]:
            assert set(selector) <= set(SELECTOR_KEYS)
            assert selector["isRdma"] is True
    assert sriov_dp_config(copy.deepcopy(got["resourceList"]), [host("n1")])["n1"] == got
    # and the document survives JSON (what the ConfigMap carries)
    assert json.loads(json.dumps(got)) == got


def test_selection_by_pci_netdev_and_device_id():
    got = sriov_dp_config(
        POOLS,
        [
            host("ib", {"pci": "0000:3B:00.0", "num_vfs": 8, "link_type": "ib"}),
            host("roce", {"netdev": "ens1f0", "num_vfs": 4, "link_type": "eth"}),
            host("cx6", {"device_id": "15b3:101b", "num_vfs": 8, "link_type": "ib"}, node="cx6-node"),
        ],
    )
    assert got == {
        "ib": {
            "resourceList": [
                {
                    "resourceName": "mlnx_ib_vf",
                    "selectors": [{"rootDevices": ["0000:3b:00.0"], "linkTypes": ["infiniband"], "isRdma": True}],
                }
            ]
        },
        "roce": {
            "resourceList": [
                {
                    "resourceName": "mlnx_sriov_rdma",
                    "selectors": [{"pfNames": ["ens1f0"], "linkTypes": ["ether"], "isRdma": True}],
                }
            ]
        },
        "cx6-node": {
            "resourceList": [
                {
                    "resourceName": "mlnx_ib_vf",
                    "selectors": [
                        {"vendors": ["15b3"], "devices": ["101c"], "linkTypes": ["infiniband"], "isRdma": True}
                    ],
                }
            ]
        },
    }


def test_port_link_types():
    # a list per port: a PF selected by PCI address is port function+1
    p1 = {"pci": "3b:00.0", "num_vfs": 8, "link_type": ["ib", "eth"]}
    p2 = {"pci": "3b:00.1", "num_vfs": 8, "link_type": ["ib", "eth"]}
    got = sriov_dp_config(POOLS, [host("n", p1, p2)])["n"]["resourceList"]
    assert [p["resourceName"] for p in got] == ["mlnx_ib_vf", "mlnx_sriov_rdma"]
    assert got[0]["selectors"] == [{"rootDevices": ["0000:3b:00.0"], "linkTypes": ["infiniband"], "isRdma": True}]
    assert got[1]["selectors"] == [{"rootDevices": ["0000:3b:00.1"], "linkTypes": ["ether"], "isRdma": True}]
    # link_type not managed: both pools, the plugin's linkTypes selector decides on the node
    got = sriov_dp_config(POOLS, [host("n", {"netdev": "p0", "num_vfs": 2})])["n"]["resourceList"]
    assert [p["selectors"][0]["linkTypes"] for p in got] == [["infiniband"], ["ether"]]


def test_nodes_without_vfs_are_left_out():
    got = sriov_dp_config(
        POOLS,
        [
            host("none"),
            host("zero", {"netdev": "ib0", "num_vfs": 0, "link_type": "ib"}),
            host("unmanaged", {"netdev": "ib0", "link_type": "ib"}),
            host("nics-null", node="x") | {"nics": None},
            host("yes", {"netdev": "ib0", "num_vfs": 1, "link_type": "ib"}),
        ],
    )
    assert list(got) == ["yes"]


def test_pool_options():
    pools = [
        {
            "resourceName": "ib_vfs",
            "resourcePrefix": "example.com",
            "linkType": "ib",
            "isRdma": False,
            "drivers": ["mlx5_core"],
            "excludeTopology": True,
        },
        {"resourceName": "explicit", "selectors": {"vendors": ["15b3"], "pKeys": ["0x7fff"], "isRdma": True}},
    ]
    got = sriov_dp_config(pools, [host("n", {"netdev": "ib0", "num_vfs": 1, "link_type": "ib"})])["n"]
    assert got["resourceList"] == [
        {
            "resourceName": "ib_vfs",
            "resourcePrefix": "example.com",
            "excludeTopology": True,
            "selectors": [{"drivers": ["mlx5_core"], "pfNames": ["ib0"], "linkTypes": ["infiniband"]}],
        },
        {"resourceName": "explicit", "selectors": [{"vendors": ["15b3"], "pKeys": ["0x7fff"], "isRdma": True}]},
    ]


def test_vdpa_selector():
    got = sriov_dp_config(
        [{"resourceName": "v", "selectors": [{"devices": ["101e"], "vdpaType": "vhost"}]}], [host("n")]
    )
    assert got["n"]["resourceList"][0]["selectors"] == [{"devices": ["101e"], "vdpaType": "vhost"}]


NIC = {"netdev": "ib0", "num_vfs": 8, "link_type": "ib"}
BAD_POOLS = [
    ("not a list", "x", r"^sriov_dp_resources: must be a list"),
    ("empty", [], r"^sriov_dp_resources: must define at least one"),
    ("unknown key", [{"resourceName": "a", "linkType": "ib", "linktype": "ib"}], r"\[0\]: unknown key\(s\) linktype"),
    ("missing name", [{"linkType": "ib"}], r"\[0\]\.resourceName: is required"),
    ("dash in name", [{"resourceName": "mlnx-ib", "linkType": "ib"}], r"\[0\]\.resourceName: must be"),
    ("bad prefix", [{"resourceName": "a", "resourcePrefix": "Nvidia.com", "linkType": "ib"}], r"\.resourcePrefix"),
    ("duplicate", [{"resourceName": "a", "linkType": "ib"}, {"resourceName": "a", "linkType": "eth"}], r"\[1\]\."),
    ("neither", [{"resourceName": "a"}], r"\[0\]: needs exactly one of linkType"),
    ("both", [{"resourceName": "a", "linkType": "ib", "selectors": [{"vendors": ["15b3"]}]}], r"exactly one"),
    ("bad link type", [{"resourceName": "a", "linkType": "infiniband"}], r"\[0\]\.linkType: must be ib or eth"),
    ("isRdma text", [{"resourceName": "a", "linkType": "ib", "isRdma": "yes"}], r"\[0\]\.isRdma: must be a boolean"),
    ("isRdma outside", [{"resourceName": "a", "isRdma": True, "selectors": [{"vendors": ["15b3"]}]}], r"go inside"),
    ("empty selector", [{"resourceName": "a", "selectors": [{}]}], r"\.selectors\[0\]: must select devices"),
    ("only isRdma", [{"resourceName": "a", "selectors": [{"isRdma": True}]}], r"\.selectors\[0\]: must select"),
    ("no selectors", [{"resourceName": "a", "selectors": []}], r"\[0\]\.selectors: must be a non-empty list"),
    ("upper vendor", [{"resourceName": "a", "selectors": [{"vendors": ["15B3"]}]}], r"\.selectors\[0\]\.vendors\[0\]"),
    ("bad pf range", [{"resourceName": "a", "selectors": [{"pfNames": ["ens1#x"]}]}], r"\.pfNames\[0\]"),
    ("bad root", [{"resourceName": "a", "selectors": [{"rootDevices": ["3b:00"]}]}], r"\.rootDevices\[0\]"),
    ("bad pkey", [{"resourceName": "a", "selectors": [{"pKeys": ["7fff"]}]}], r"\.pKeys\[0\]"),
    ("eth link", [{"resourceName": "a", "selectors": [{"linkTypes": ["eth"]}]}], r"\.linkTypes\[0\]: must be ether"),
    ("bad vdpa", [{"resourceName": "a", "selectors": [{"devices": ["101e"], "vdpaType": "x"}]}], r"\.vdpaType"),
    (
        "vdpa+rdma",
        [{"resourceName": "a", "selectors": [{"devices": ["101e"], "vdpaType": "vhost", "isRdma": True}]}],
        "both",
    ),
]


@pytest.mark.parametrize(("pools", "pattern"), [(p, m) for _, p, m in BAD_POOLS], ids=[i for i, _, _ in BAD_POOLS])
def test_refused_pools(pools, pattern):
    with pytest.raises(AnsibleFilterError, match=pattern):
        sriov_dp_config(pools, [host("n", NIC)])


NICS_PATH = r"hostvars\['n'\]\.sriov_firmware_nics"
BAD_NICS = [
    ("nics not a list", "ib0", rf"^{NICS_PATH}: must be a list"),
    ("entry not a dict", ["ib0"], rf"^{NICS_PATH}\[0\]: must be a dictionary"),
    (
        "negative vfs",
        [{"netdev": "ib0", "num_vfs": -1, "link_type": "ib"}],
        rf"{NICS_PATH}\[0\]\.num_vfs: must be >= 0",
    ),
    ("two selections", [{"netdev": "ib0", "pci": "3b:00.0", "num_vfs": 1}], rf"{NICS_PATH}\[0\]: must select PFs"),
    ("no selection", [{"num_vfs": 1, "link_type": "ib"}], rf"{NICS_PATH}\[0\]: must select PFs with exactly one"),
    ("bad pci", [{"pci": "3b:00", "num_vfs": 1}], rf"{NICS_PATH}\[0\]\.pci: must be a PCI address"),
    ("bad netdev", [{"netdev": "a/b", "num_vfs": 1}], rf"{NICS_PATH}\[0\]\.netdev"),
    ("bad device id", [{"device_id": "15b3-101b", "num_vfs": 1}], rf"{NICS_PATH}\[0\]\.device_id: must be"),
    ("unknown device", [{"device_id": "8086:1572", "num_vfs": 1}], rf"{NICS_PATH}\[0\]\.device_id: is not an SR-IOV"),
    ("bad link type", [{"netdev": "ib0", "num_vfs": 1, "link_type": "infiniband"}], rf"{NICS_PATH}\[0\]\.link_type"),
    ("link type dict", [{"netdev": "ib0", "num_vfs": 1, "link_type": {"p1": "ib"}}], rf"{NICS_PATH}\[0\]\.link_type"),
]


@pytest.mark.parametrize(("nics", "pattern"), [(n, m) for _, n, m in BAD_NICS], ids=[i for i, _, _ in BAD_NICS])
def test_refused_nics(nics, pattern):
    with pytest.raises(AnsibleFilterError, match=pattern):
        sriov_dp_config(POOLS, [{"host": "n", "node": "n", "nics": nics}])


def test_refused_prefix_and_hosts():
    with pytest.raises(AnsibleFilterError, match=r"^sriov_dp_resource_prefix: must be a DNS"):
        sriov_dp_config(POOLS, [], "nvidia_com")
    with pytest.raises(AnsibleFilterError, match=r"^hosts: must be a list"):
        sriov_dp_config(POOLS, "n1")
    with pytest.raises(AnsibleFilterError, match=r"hostvars\['b'\]\.rdmaops_k8s_node_name: names a node"):
        sriov_dp_config(POOLS, [host("a", NIC, node="x"), host("b", NIC, node="x")])


def test_filter_module():
    assert FilterModule().filters()["sriov_dp_config"] is sriov_dp_config
