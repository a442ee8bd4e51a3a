# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rdmaops.fabric.inventory_errors: every check, good and bad, and all problems in one answer."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleUndefinedVariable
from ansible_collections.rdmaops.fabric.plugins.filter import inventory_errors as mod
from ansible_collections.rdmaops.fabric.plugins.filter.inventory_errors import inventory_errors

REPO = Path(__file__).resolve().parents[4]

IB_NET = {
    "name": "ib-sriov-net",
    "type": "ib-sriov",
    "resource": "nvidia.com/mlnx_ib_vf",
    "ipam": {
        "type": "whereabouts",
        "range": "192.168.100.0/24",
        "gateway": "192.168.100.1",
        "range_start": "192.168.100.10",
    },
}
ROCE_NET = {
    "name": "rdma-net",
    "type": "macvlan",
    "master": "enp175s0f0np0",
    "resource": "rdma/hca_shared_devices",
    "ipam": {"type": "whereabouts", "range": "192.168.200.0/24", "range_start": "192.168.200.10"},
}

# The lab's shape: two IB hosts in exclusive mode with VFs and an SM each, one RoCE host in shared mode.
GOOD_HOSTVARS = {
    "ib-1": {
        "netns_mode_netns": "exclusive",
        "rdma_shared_dp_enabled": False,
        "sriov_dp_enabled": True,
        "sriov_firmware_nics": [{"device_id": "15b3:101b", "num_vfs": 8, "link_type": "ib"}],
    },
    "ib-2": {
        "netns_mode_netns": "exclusive",
        "rdma_shared_dp_enabled": False,
        "sriov_dp_enabled": True,
        "sriov_firmware_nics": [{"device_id": "15b3:1021", "num_vfs": 8, "link_type": "ib"}],
    },
    "roce-1": {"netns_mode_netns": "shared", "rdma_shared_dp_enabled": True, "sriov_dp_enabled": False},
    "cp": {"rdma_networks": [IB_NET, ROCE_NET], "rdmaops_kubeconfig": "/etc/kubernetes/admin.conf"},
}
GOOD_GROUPS = {
    "all": ["ib-1", "ib-2", "roce-1", "cp"],
    "rdma_nodes": ["ib-1", "ib-2", "roce-1"],
    "opensm_nodes": ["ib-1", "ib-2"],
    "kube_node": ["ib-1", "ib-2", "roce-1"],
    "kube_control_plane": ["cp"],
    "k8s_cluster": ["cp", "ib-1", "ib-2", "roce-1"],
}
NODES = ["ib-1", "ib-2", "roce-1"]


def check(hostvars=None, groups=None, nodes=None, uninstall=False):
    return inventory_errors(
        hostvars if hostvars is not None else GOOD_HOSTVARS,
        groups if groups is not None else GOOD_GROUPS,
        "cp",
        nodes,
        uninstall,
    )


def mutated(**changes):
    """A deep copy of the good inventory with host -> {var: value} changes (None deletes the var)."""
    hostvars = copy.deepcopy(GOOD_HOSTVARS)
    for host, variables in changes.items():
        host = host.replace("_", "-")
        hostvars.setdefault(host, {})
        for name, value in variables.items():
            if value is None:
                hostvars[host].pop(name, None)
            else:
                hostvars[host][name] = value
    return hostvars


def nic(**fields):
    return {"device_id": "15b3:101b", "num_vfs": 8, "link_type": "ib", **fields}


def test_good_inventory_has_no_problem():
    assert check() == []
    assert check(nodes=NODES) == []
    assert check(nodes={"resources": [{"metadata": {"name": n}} for n in NODES]}) == []


def test_filter_is_registered():
    assert mod.FilterModule().filters() == {"inventory_errors": inventory_errors}


def test_defaults_match_the_roles_and_playbooks():
    defaults = {}
    for path in sorted(REPO.glob("roles/*/defaults/main.yml")):
        defaults.update(yaml.safe_load(path.read_text()) or {})
    for name, value in mod.ROLE_DEFAULTS.items():
        assert defaults[name] == value, name
    cluster = (REPO / "playbooks" / "cluster.yml").read_text()
    roles = str(mod.PLAYBOOK_DEFAULTS["rdmaops_cluster_roles"]).replace('"', "'")
    assert f"rdmaops_cluster_roles | default({roles})" in cluster
    hosts = (REPO / "playbooks" / "hosts.yml").read_text()
    assert "rdmaops_serial | default('100%')" in hosts
    assert "rdmaops_max_fail_percentage | default(0)" in hosts
    assert f"rdmaops_cordon_label | default('{mod.PLAYBOOK_DEFAULTS['rdmaops_cordon_label']}')" in hosts
    assert f"rdmaops_converged_record | default('{mod.PLAYBOOK_DEFAULTS['rdmaops_converged_record']}')" in hosts
    assert "rdmaops_skip_converged_hosts | default(true)" in hosts


# (changes, problems expected: each a substring of one problem). One entry per check, bad side.
BAD = {
    "netns": (
        {"ib_1": {"netns_mode_netns": "bogus"}},
        ["ib-1: netns_mode_netns is 'bogus'; allowed: shared, exclusive"],
    ),
    "mofed_state": ({"ib_1": {"mofed_state": "gone"}}, ["ib-1: mofed_state is 'gone'; allowed: present, absent"]),
    "mofed_source": (
        {"ib_1": {"mofed_source": "ofed"}},
        ["ib-1: mofed_source is 'ofed'; allowed: inbox, doca, mlnx_ofed"],
    ),
    "mlnx_ofed_needs": (
        {"ib_1": {"mofed_source": "mlnx_ofed", "mofed_mlnx_ofed_sha256": "abc"}},
        [
            "ib-1: mofed_version is ''; allowed: the exact version",
            "ib-1: mofed_mlnx_ofed_src is ''; allowed: the URL or path",
            "ib-1: mofed_mlnx_ofed_sha256 is 'abc'; allowed: the 64 hex digits",
        ],
    ),
    "sriov_firmware_state": (
        {"ib_1": {"sriov_firmware_state": 1}},
        ["ib-1: sriov_firmware_state is 1; allowed: present, absent"],
    ),
    "nics_not_list": (
        {"ib_1": {"sriov_firmware_nics": {"pci": "3b:00.0"}}},
        ["ib-1: sriov_firmware_nics is {'pci': '3b:00.0'}; allowed: a list of NIC entries"],
    ),
    "nic_not_mapping": (
        {"ib_1": {"sriov_firmware_nics": ["3b:00.0"]}},
        ["ib-1: sriov_firmware_nics[0] is '3b:00.0'; allowed: a mapping with one of pci, netdev, device_id"],
    ),
    "nic_unknown_key": (
        {"ib_1": {"sriov_firmware_nics": [nic(numvfs=4)]}},
        ["ib-1: sriov_firmware_nics[0] key(s) is ['numvfs']; allowed: pci, netdev, device_id, num_vfs"],
    ),
    "nic_no_selector": (
        {"ib_1": {"sriov_firmware_nics": [{"num_vfs": 4}]}},
        ["ib-1: sriov_firmware_nics[0] selector is []; allowed: exactly one of pci, netdev, device_id"],
    ),
    "nic_two_selectors": (
        {"ib_1": {"sriov_firmware_nics": [nic(pci="0000:3b:00.0")]}},
        ["ib-1: sriov_firmware_nics[0] selector is ['pci', 'device_id']; allowed: exactly one of"],
    ),
    "nic_bad_selector_values": (
        {
            "ib_1": {
                "sriov_firmware_nics": [
                    {"pci": "3b:00", "num_vfs": 1},
                    {"netdev": "a/b", "num_vfs": 1},
                    {"device_id": "15b3", "num_vfs": 1},
                ]
            }
        },
        [
            "ib-1: sriov_firmware_nics[0].pci is '3b:00'; allowed: a PCI address",
            "ib-1: sriov_firmware_nics[1].netdev is 'a/b'; allowed: a network interface name",
            "ib-1: sriov_firmware_nics[2].device_id is '15b3'; allowed: vendor:device in hex",
        ],
    ),
    "num_vfs_range_and_type": (
        {"ib_1": {"sriov_firmware_nics": [nic(num_vfs=128), nic(num_vfs=-1), nic(num_vfs="8"), nic(num_vfs=True)]}},
        [
            "ib-1: sriov_firmware_nics[0].num_vfs is 128; allowed: an integer from 0 (SR-IOV off) to 127",
            "ib-1: sriov_firmware_nics[1].num_vfs is -1; allowed",
            "ib-1: sriov_firmware_nics[2].num_vfs is '8'; allowed",
            "ib-1: sriov_firmware_nics[3].num_vfs is True; allowed",
        ],
    ),
    "link_type": (
        {"ib_1": {"sriov_firmware_nics": [nic(link_type="infiniband"), nic(link_type=[]), nic(link_type=["ib", "x"])]}},
        [
            "ib-1: sriov_firmware_nics[0].link_type is 'infiniband'; allowed: eth or ib, or a list of them per port",
            "ib-1: sriov_firmware_nics[1].link_type is []; allowed",
            "ib-1: sriov_firmware_nics[2].link_type is ['ib', 'x']; allowed",
        ],
    ),
    "nic_sets_nothing": (
        {"ib_1": {"sriov_firmware_nics": [{"pci": "3b:00.0"}]}},
        [
            "ib-1: sriov_firmware_nics[0] is {'pci': '3b:00.0'}; "
            "allowed: an entry that sets num_vfs, link_type or params"
        ],
    ),
    "enabled_flags": (
        {"ib_1": {"sriov_dp_enabled": "maybe"}, "roce_1": {"rdma_shared_dp_enabled": 2}},
        [
            "ib-1: sriov_dp_enabled is 'maybe'; allowed: true, false",
            "roce-1: rdma_shared_dp_enabled is 2; allowed: true, false",
        ],
    ),
    "opensm_state": ({"ib_1": {"opensm_state": "off"}}, ["ib-1: opensm_state is 'off'; allowed: present, absent"]),
    "opensm_priority_range": (
        {"ib_1": {"opensm_priority": 16}, "ib_2": {"opensm_priority": "3"}},
        [
            "ib-1: opensm_priority is 16; allowed: an integer from 0 to 15 (the master has the highest), or null",
            "ib-2: opensm_priority is '3'; allowed: an integer from 0 to 15",
        ],
    ),
    "opensm_fabric": ({"ib_1": {"opensm_fabric": ""}}, ["ib-1: opensm_fabric is ''; allowed: a non-empty fabric name"]),
    "opensm_same_priority": (
        {"ib_1": {"opensm_priority": 7}, "ib_2": {"opensm_priority": 7}},
        [
            "opensm fabric 'default': opensm_priority is 7; allowed: a distinct opensm_priority",
            "ib-1 and ib-2 would all",
        ],
    ),
    "opensm_explicit_collides_with_assigned": (
        # ib-2 unset is the second host of the group: 14, like ib-1's explicit value.
        {"ib_1": {"opensm_priority": 14}},
        ["opensm fabric 'default': opensm_priority is 14", "ib-1 and ib-2 would all run with sm_priority 14"],
    ),
    "opensm_host_outside_rdma_nodes": (
        {},
        ["sm-x: group membership is 'opensm_nodes'; allowed: hosts of opensm_nodes that are also in rdma_nodes"],
    ),
    "serial": (
        {"ib_1": {"rdmaops_serial": "abc"}, "ib_2": {"rdmaops_serial": "abc"}, "cp": {"rdmaops_serial": "101%"}},
        [
            "ib-1, ib-2: rdmaops_serial is 'abc'; allowed: a host count >= 1, a percentage 1%-100%, or a list of them",
            "cp: rdmaops_serial is '101%'; allowed",
        ],
    ),
    "max_fail_percentage": (
        {"cp": {"rdmaops_max_fail_percentage": 101}},
        ["cp: rdmaops_max_fail_percentage is 101; allowed: an integer from 0 to 100"],
    ),
    "cordon_label": (
        {"cp": {"rdmaops_cordon_label": "Ops/cordoned by us"}, "ib_1": {"rdmaops_cordon_label": "x/" + "n" * 64}},
        [
            "cp: rdmaops_cordon_label is 'Ops/cordoned by us'; allowed: a Kubernetes label key",
            "ib-1: rdmaops_cordon_label is 'x/nnnn",
        ],
    ),
    "skip_converged": (
        {"ib_1": {"rdmaops_skip_converged_hosts": "sometimes"}},
        ["ib-1: rdmaops_skip_converged_hosts is 'sometimes'; allowed: true or false"],
    ),
    "converged_record": (
        {"ib_2": {"rdmaops_converged_record": "var/lib/rdmaops/"}},
        ["ib-2: rdmaops_converged_record is 'var/lib/rdmaops/'; allowed: an absolute file path on the host"],
    ),
    "cluster_roles": (
        {"cp": {"rdmaops_cluster_roles": ["multus", "calico", "multus"]}},
        ["cluster [cp]: rdmaops_cluster_roles is ['multus', 'calico', 'multus']; allowed: a list of distinct names"],
    ),
    "cluster_state": (
        {"cp": {"multus_state": "removed"}},
        ["cluster [cp]: multus_state is 'removed'; allowed: present, absent"],
    ),
    "node_name_invalid": (
        {"ib_1": {"rdmaops_k8s_node_name": "Bad_Name"}},
        ["ib-1: rdmaops_k8s_node_name: must be a valid Kubernetes name", "(got 'Bad_Name')"],
    ),
    "node_name_duplicate": (
        {"ib_2": {"rdmaops_k8s_node_name": "ib-1"}},
        ["ib-1 and ib-2: rdmaops_k8s_node_name is 'ib-1'; allowed: one Kubernetes node name per host"],
    ),
    "exclusive_with_shared_dp": (
        {"ib_1": {"rdma_shared_dp_enabled": None}},
        [
            "ib-1: netns_mode_netns is 'exclusive'; allowed: shared on a host where rdma_shared_dp_enabled is true",
            "the RDMA shared device plugin only works in shared RDMA netns mode",
        ],
    ),
    "network_errors_reused": (
        {"cp": {"rdma_networks": [dict(ROCE_NET, type="bridge")]}},
        ["cluster [cp]: rdma_networks[0].type: must be one of macvlan, ipvlan, host-device, sriov, ib-sriov"],
    ),
    "networks_list_named": (
        {"cp": {"networks_list": [dict(ROCE_NET, mtu=10)]}},
        ["cluster [cp]: networks_list[0].mtu: must be an integer from 68 to 65520"],
    ),
    "macvlan_on_ib_port": (
        {
            "ib_1": {"sriov_firmware_nics": [{"netdev": "ibs1f0", "link_type": "ib", "num_vfs": 8}]},
            "cp": {"rdma_networks": [IB_NET, dict(ROCE_NET, master="ibs1f0", link_type="ethernet")]},
        },
        [
            "cluster [cp]: rdma_networks[1].master is 'ibs1f0'; allowed: an Ethernet (RoCE) interface for type macvlan",
            "ibs1f0 is an InfiniBand port on ib-1",
        ],
    ),
    "sriov_resource_not_a_pool": (
        {"cp": {"rdma_networks": [dict(IB_NET, resource="nvidia.com/mlnx_ib")]}},
        [
            "cluster [cp]: rdma_networks[0].resource is 'nvidia.com/mlnx_ib'; allowed: a pool of sriov_dp_resources: "
            "nvidia.com/mlnx_ib_vf, nvidia.com/mlnx_sriov_rdma"
        ],
    ),
    "sriov_resource_wrong_link_type": (
        {"cp": {"rdma_networks": [dict(IB_NET, type="sriov", resource="nvidia.com/mlnx_ib_vf")]}},
        ["rdma_networks[0].resource is 'nvidia.com/mlnx_ib_vf'; allowed: a pool of linkType eth for type sriov"],
    ),
    "sriov_resource_without_vfs": (
        {
            "ib_1": {"sriov_firmware_nics": [nic(num_vfs=8)]},
            "ib_2": {"sriov_firmware_nics": [nic(num_vfs=0)], "sriov_dp_enabled": None},
            "cp": {
                "rdma_networks": [
                    IB_NET,
                    dict(IB_NET, name="roce-sriov", type="sriov", resource="nvidia.com/mlnx_sriov_rdma"),
                ]
            },
        },
        ["rdma_networks[1].resource is 'nvidia.com/mlnx_sriov_rdma'; allowed: a pool that gets VFs on some host"],
    ),
    "shared_resource_nobody_serves": (
        {"roce_1": {"rdma_shared_dp_enabled": False}},
        ["rdma_networks[1].resource is 'rdma/hca_shared_devices'; allowed: a resource some host serves"],
    ),
    "shared_resource_typo": (
        {"cp": {"rdma_networks": [IB_NET, dict(ROCE_NET, resource="rdma/hca_shared_device")]}},
        ["rdma_networks[1].resource is 'rdma/hca_shared_device'; allowed: a pool of rdma_shared_dp_resources"],
    ),
    "rdma_shared_dp_resources_reused": (
        {
            "cp": {
                "rdma_shared_dp_resources": [{"resourceName": "x", "rdmaHcaMax": 0, "selectors": {"vendors": ["15b3"]}}]
            }
        },
        ["cluster [cp]: rdma_shared_dp_resources[0].rdmaHcaMax: must be >= 1 (got 0)"],
    ),
    "sriov_dp_resources_reused": (
        {"cp": {"sriov_dp_resources": [{"resourceName": "x", "linkType": "infiniband"}]}},
        ["cluster [cp]: sriov_dp_resources[0].linkType: must be ib or eth (got 'infiniband')"],
    ),
    "no_host_gets_vfs": (
        {
            "ib_1": {"sriov_firmware_nics": [nic(num_vfs=0)]},
            "ib_2": {"sriov_firmware_nics": [], "sriov_dp_enabled": None},
        },
        [
            "cluster [cp]: sriov_dp_resources is ['nvidia.com/mlnx_ib_vf', 'nvidia.com/mlnx_sriov_rdma']; "
            "allowed: pools that select VFs on some host",
            "ib-1: sriov_dp_enabled is True; allowed: false on a host without VFs",
        ],
    ),
    "rdma_pool_in_shared_mode": (
        {"ib_2": {"netns_mode_netns": "shared"}},
        ["ib-2: netns_mode_netns is 'shared'; allowed: exclusive on a host that gets an RDMA SR-IOV pool"],
    ),
}


def _groups_for(name):
    groups = copy.deepcopy(GOOD_GROUPS)
    if name == "opensm_host_outside_rdma_nodes":
        groups["opensm_nodes"].append("sm-x")
    return groups


@pytest.mark.parametrize("name", sorted(BAD))
def test_each_bad_input_is_reported(name):
    changes, expected = BAD[name]
    problems = check(mutated(**changes), _groups_for(name))
    for text in expected:
        assert any(text in p for p in problems), (text, problems)


def test_every_problem_comes_back_together():
    changes = {}
    expected = []
    # Non-conflicting cases on different variables, merged into one inventory.
    for name in (
        "netns",
        "mofed_source",
        "num_vfs_range_and_type",
        "opensm_priority_range",
        "serial",
        "cluster_state",
        "node_name_invalid",
        "network_errors_reused",
        "enabled_flags",
        "opensm_host_outside_rdma_nodes",
    ):
        case_changes, case_expected = BAD[name]
        for host, variables in case_changes.items():
            changes.setdefault(host, {}).update(variables)
        expected.extend(case_expected)
    problems = check(mutated(**changes), _groups_for("opensm_host_outside_rdma_nodes"), nodes=["ib-2"])
    expected.append("roce-1: rdmaops_k8s_node_name is 'roce-1'; allowed: the name of a Node of the API (ib-2)")
    for text in expected:
        assert any(text in p for p in problems), (text, problems)
    assert len(problems) >= len(expected)


GOOD_VARIANTS = {
    "mlnx_ofed_complete": {
        "ib_1": {
            "mofed_source": "mlnx_ofed",
            "mofed_version": "24.10-1.1.4.0",
            "mofed_mlnx_ofed_src": "https://example.com/MLNX_OFED.tgz",
            "mofed_mlnx_ofed_sha256": "a" * 64,
        }
    },
    "mlnx_ofed_absent_needs_nothing": {"ib_1": {"mofed_source": "mlnx_ofed", "mofed_state": "absent"}},
    "num_vfs_bounds": {"ib_1": {"sriov_firmware_nics": [nic(num_vfs=127), {"pci": "0000:3B:00.1", "num_vfs": 0}]}},
    "link_type_per_port": {"ib_1": {"sriov_firmware_nics": [nic(link_type=["ib", "eth"])]}},
    "params_only": {
        "ib_1": {"sriov_firmware_nics": [nic(num_vfs=8), {"netdev": "ens1f0", "params": {"ATS_ENABLED": True}}]}
    },
    "enabled_as_strings": {"ib_1": {"sriov_dp_enabled": "yes"}, "roce_1": {"rdma_shared_dp_enabled": "true"}},
    "opensm_explicit_distinct": {"ib_1": {"opensm_priority": 15}, "ib_2": {"opensm_priority": 0}},
    "opensm_same_priority_other_fabric": {
        "ib_1": {"opensm_priority": 7},
        "ib_2": {"opensm_priority": 7, "opensm_fabric": "south"},
    },
    "opensm_absent_not_numbered": {"ib_1": {"opensm_priority": 14}, "ib_2": {"opensm_state": "absent"}},
    "serial_forms": {
        "ib_1": {"rdmaops_serial": 1},
        "ib_2": {"rdmaops_serial": [1, "50%", "3"]},
        "cp": {"rdmaops_serial": "25%"},
    },
    "max_fail_string": {"cp": {"rdmaops_max_fail_percentage": "10"}},
    "cordon_label_forms": {
        "ib_1": {"rdmaops_cordon_label": "maintenance"},
        "cp": {"rdmaops_cordon_label": "ops.example.com/rdma-reboot"},
    },
    "node_names_set": {"ib_1": {"rdmaops_k8s_node_name": "gpu-node-1.example.com"}},
    "shared_dp_not_deployed_default_enabled": {
        # rdma_shared_dp not in the cluster roles: exclusive mode with the default (unset) flag is fine.
        "ib_1": {"rdma_shared_dp_enabled": None},
        "cp": {"rdmaops_cluster_roles": ["multus", "whereabouts", "sriov_dp", "networks"], "rdma_networks": [IB_NET]},
    },
    "shared_dp_absent": {
        "ib_1": {"rdma_shared_dp_enabled": None},
        "cp": {"rdma_shared_dp_state": "absent", "rdma_networks": [IB_NET]},
    },
    "rdma_pool_shared_mode_allowed": {
        "ib_2": {"netns_mode_netns": "shared"},
        "cp": {"sriov_dp_require_exclusive_netns": False},
    },
    "external_resource_prefix": {"cp": {"rdma_networks": [IB_NET, dict(ROCE_NET, resource="example.com/other")]}},
    "sriov_selectors_pool": {
        "cp": {
            "sriov_dp_resources": [
                {"resourceName": "mlnx_ib_vf", "selectors": [{"vendors": ["15b3"], "devices": ["101c"]}]}
            ]
        }
    },
    "networks_not_deployed": {"cp": {"networks_state": "absent", "rdma_networks": [{"name": "Bad"}]}},
    "macvlan_on_eth_netdev": {
        "roce_1": {"sriov_firmware_nics": [{"netdev": "enp175s0f0np0", "link_type": "eth"}]},
    },
}


@pytest.mark.parametrize("name", sorted(GOOD_VARIANTS))
def test_good_variants_have_no_problem(name):
    assert check(mutated(**GOOD_VARIANTS[name])) == []


def test_ib_named_master_is_reported_once():
    # network_errors already refuses macvlan on an ib* name; the host cross-check must not repeat it.
    hostvars = mutated(
        ib_1={"sriov_firmware_nics": [{"netdev": "ibs1f0", "link_type": "ib", "num_vfs": 8}]},
        cp={"rdma_networks": [IB_NET, dict(ROCE_NET, master="ibs1f0")]},
    )
    problems = [p for p in check(hostvars) if "ibs1f0" in p]
    assert len(problems) == 1, problems
    assert "rdma_networks[1].type: macvlan cannot sit on the InfiniBand" in problems[0]


def test_k8s_nodes_missing_from_the_api():
    problems = check(nodes=["ib-1"])
    assert problems == [
        f"{host}: rdmaops_k8s_node_name is '{host}'; allowed: the name of a Node of the API (ib-1) "
        "(unset, it is the inventory hostname; the Kubernetes API has no Node of that name)"
        for host in ("ib-2", "roce-1")
    ]
    # The control-plane host is no RDMA node: never checked.
    assert not any(p.startswith("cp:") for p in problems)


def test_uninstall_accepts_hosts_whose_node_is_gone():
    assert check(nodes=["ib-1"], uninstall=True) == []
    # an API that cannot be read is still a problem: the cluster roles could not be removed
    assert len(check(nodes={"failed": True, "msg": "connection refused"}, uninstall=True)) == 1


def test_k8s_node_name_override_is_checked():
    hostvars = mutated(ib_1={"rdmaops_k8s_node_name": "gpu-1"})
    assert check(hostvars, nodes=["gpu-1", "ib-2", "roce-1"]) == []
    assert any("ib-1: rdmaops_k8s_node_name is 'gpu-1'" in p for p in check(hostvars, nodes=NODES))


def test_k8s_nodes_of_the_device_plugin_groups_are_checked():
    groups = copy.deepcopy(GOOD_GROUPS)
    groups["gpu"] = ["gpu-9"]
    groups["k8s_cluster"].append("gpu-9")
    hostvars = mutated(cp={"rdma_shared_dp_host_group": "gpu"}, gpu_9={})
    problems = check(hostvars, groups, nodes=NODES)
    assert problems == [
        "gpu-9: rdmaops_k8s_node_name is 'gpu-9'; allowed: the name of a Node of the API (ib-1, ib-2, roce-1) "
        "(unset, it is the inventory hostname; the Kubernetes API has no Node of that name)"
    ]


def test_k8s_result_skipped_means_unchecked():
    assert check(nodes={"skipped": True, "changed": False}) == []


@pytest.mark.parametrize(
    "result, reason",
    [
        (
            {"failed": False, "msg": "Failed to get client due to HTTPSConnectionPool(host='127.0.0.1', port=1)\nmore"},
            "Failed to get client due to HTTPSConnectionPool(host='127.0.0.1', port=1))",
        ),
        (
            {"unreachable": True, "msg": "Failed to connect to the host via ssh"},
            "Failed to connect to the host via ssh",
        ),
        ({"changed": False}, "no answer"),
    ],
)
def test_unreadable_api_is_a_problem(result, reason):
    problems = check(nodes=result)
    assert len(problems) == 1
    assert problems[0].startswith(
        "cluster [cp]: rdmaops_kubeconfig is '/etc/kubernetes/admin.conf'; allowed: a kubeconfig of a reachable "
        "Kubernetes API, or rdmaops_kubeconfig undefined to skip the cluster checks"
    )
    assert problems[0].endswith(reason + ")") or problems[0].endswith(reason)
    assert "\n" not in problems[0]


class _Lazy(dict):
    """A hostvars entry whose values template on access, like ansible's HostVarsVars."""

    def __getitem__(self, key):
        value = super().__getitem__(key)
        if value == "{{ undefined_thing }}":
            raise AnsibleUndefinedVariable("'undefined_thing' is undefined")
        return value


def test_a_value_that_cannot_be_templated_is_a_problem():
    hostvars = mutated()
    hostvars["ib-1"] = _Lazy(hostvars["ib-1"], mofed_source="{{ undefined_thing }}")
    problems = check(hostvars)
    assert problems == ["ib-1: mofed_source cannot be evaluated: 'undefined_thing' is undefined"]


def test_missing_hosts_and_groups_use_the_defaults():
    # A host of rdma_nodes with no variables at all: inbox, shared, no NIC entry; no cluster host vars.
    groups = {"rdma_nodes": ["bare"], "k8s_cluster": ["bare"]}
    assert inventory_errors({}, groups, "nowhere", None, False) == [
        "cluster [nowhere]: sriov_dp_resources is ['nvidia.com/mlnx_ib_vf', 'nvidia.com/mlnx_sriov_rdma']; "
        "allowed: pools that select VFs on some host: sriov_firmware_nics with num_vfs > 0 on a port of the pool's "
        "linkType on a host of sriov_dp_host_group, or sriov_dp_state absent / sriov_dp not in rdmaops_cluster_roles "
        "(no host gets any VF, the SR-IOV device plugin would have nothing to serve)"
    ]
    assert inventory_errors(None, None) == [
        inventory_errors({}, groups, "localhost")[0].replace("nowhere", "localhost")
    ]


def test_sriov_dp_group_host_outside_rdma_nodes_is_checked():
    groups = copy.deepcopy(GOOD_GROUPS)
    groups["vf_hosts"] = ["ib-1", "ext-1"]
    hostvars = mutated(cp={"sriov_dp_host_group": "vf_hosts"}, ext_1={"sriov_firmware_nics": [nic(num_vfs=500)]})
    problems = check(hostvars, groups)
    assert any(p.startswith("ext-1: sriov_firmware_nics[0].num_vfs is 500") for p in problems), problems


def test_too_many_sm_hosts_to_number():
    hosts = [f"sm-{i}" for i in range(17)]
    groups = {"rdma_nodes": hosts, "opensm_nodes": hosts}
    hostvars = {h: {"netns_mode_netns": "shared"} for h in hosts}
    hostvars["cp"] = {"rdmaops_cluster_roles": []}
    problems = inventory_errors(hostvars, groups, "cp")
    assert problems == [
        "opensm fabric 'default': opensm_priority is None; allowed: explicit priorities 0-15 "
        "(sm-16 get no priority: more than 16 SM hosts to number)"
    ]


def test_cluster_roles_not_a_list():
    problems = check(mutated(cp={"rdmaops_cluster_roles": "multus"}))
    assert problems[0].startswith("cluster [cp]: rdmaops_cluster_roles is 'multus'; allowed: a list of distinct names")


def test_uninstall_keeps_type_checks_and_drops_deploy_conflicts():
    hostvars = mutated(
        ib_1={"rdma_shared_dp_enabled": None, "opensm_priority": 14, "netns_mode_netns": "exclusive"},
        ib_2={"mofed_source": "ofed"},
        cp={"rdma_networks": [dict(IB_NET, resource="nvidia.com/none")]},
    )
    deploying = check(hostvars)
    assert any("only works in shared RDMA netns mode" in p for p in deploying)
    assert any("would all run with sm_priority 14" in p for p in deploying)
    assert any("nvidia.com/none" in p for p in deploying)
    assert check(hostvars, uninstall=True) == ["ib-2: mofed_source is 'ofed'; allowed: inbox, doca, mlnx_ofed"]


def test_a_shared_node_name_is_reported_once():
    problems = check(mutated(ib_2={"rdmaops_k8s_node_name": "ib-1"}))
    assert problems == [
        "ib-1 and ib-2: rdmaops_k8s_node_name is 'ib-1'; allowed: one Kubernetes node name per host "
        "(the device plugins' per-node configs and the drains would mix them up)"
    ]


def test_a_set_node_name_missing_from_the_api_says_so():
    problems = check(mutated(ib_1={"rdmaops_k8s_node_name": "gpu-1"}), nodes=NODES)
    assert problems == [
        "ib-1: rdmaops_k8s_node_name is 'gpu-1'; allowed: the name of a Node of the API (ib-1, ib-2, roce-1) "
        "(the Kubernetes API has no Node of that name)"
    ]


@pytest.mark.parametrize(
    "cluster_vars, reported",
    [
        ({"sriov_dp_resources": "mlnx_ib_vf"}, "cluster [cp]: sriov_dp_resources: must be a list of resource pools"),
        ({"rdma_shared_dp_resources": []}, "cluster [cp]: rdma_shared_dp_resources: must define at least one"),
    ],
)
def test_a_failed_pool_validator_does_not_cascade(cluster_vars, reported):
    # The networks reference pools that cannot be worked out: only the validator's own problem.
    hostvars = mutated(cp={**cluster_vars, "rdma_networks": [IB_NET, dict(ROCE_NET, resource="rdma/other")]})
    assert check(hostvars) == [check(hostvars)[0]]
    assert check(hostvars)[0].startswith(reported)
