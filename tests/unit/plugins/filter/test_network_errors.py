# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rdmaops.fabric.network_errors / k8s_name_errors / nad_cni_config."""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.rdmaops.fabric.plugins.filter import k8s_name_errors as names_mod
from ansible_collections.rdmaops.fabric.plugins.filter import nad_cni_config as nad_mod
from ansible_collections.rdmaops.fabric.plugins.filter import network_errors as errors_mod
from ansible_collections.rdmaops.fabric.plugins.filter.k8s_name_errors import k8s_name_errors
from ansible_collections.rdmaops.fabric.plugins.filter.nad_cni_config import nad_cni_config
from ansible_collections.rdmaops.fabric.plugins.filter.network_errors import network_errors

V = "networks_list"

MACVLAN = {
    "name": "rdma-net",
    "namespace": "default",
    "type": "macvlan",
    "master": "ens1f0",
    "resource": "rdma/hca_shared_devices_a",
    "mtu": 9000,
    "ipam": {
        "type": "whereabouts",
        "range": "192.168.10.0/24",
        "range_start": "192.168.10.10",
        "range_end": "192.168.10.200",
        "gateway": "192.168.10.1",
        "exclude": ["192.168.10.100/30"],
        "routes": [{"dst": "10.10.0.0/16", "gw": "192.168.10.1"}],
    },
}

# The seeds' networks, as this collection writes them.
SEEDS = [
    # seed 000: host-device (the IPoIB or RoCE netdev moved into the pod) + host-local IPAM
    {
        "name": "hostdev-net",
        "type": "host-device",
        "master": "ibp59s0",
        "ipam": {
            "type": "host-local",
            "range": "10.56.217.0/24",
            "range_start": "10.56.217.171",
            "range_end": "10.56.217.181",
            "gateway": "10.56.217.1",
            "routes": [{"dst": "0.0.0.0/0"}],
        },
    },
    # seed 002: macvlan + whereabouts on a RoCE port
    MACVLAN,
    # seed 003: IB SR-IOV + whereabouts
    {
        "name": "ib-sriov-net",
        "namespace": "rdma",
        "type": "ib-sriov",
        "resource": "nvidia.com/mlnx_ib_vf",
        "rdma_isolation": True,
        "link_type": "infiniband",
        "ipam": {
            "type": "whereabouts",
            "range": "192.168.20.0/24",
            "exclude": ["192.168.20.1/32"],
            "gateway": "192.168.20.1",
        },
    },
    # seed 004: VLAN on VFs (sriov, RoCE), exclusive RDMA
    {
        "name": "sriov-vlan100",
        "type": "sriov",
        "resource": "nvidia.com/mlnx_sriov_rdma",
        "vlan": 100,
        "rdma_isolation": True,
        "ipam": {"type": "whereabouts", "range": "192.168.100.0/24", "range_start": "192.168.100.10"},
    },
] + [
    # seed 001: ipvlan per RDMA bond NIC, 8 per pod
    {
        "name": f"rdma-bond{i}",
        "type": "ipvlan",
        "master": f"bond{i}",
        "mode": "l2",
        "resource": f"rdma/rdma_bond{i}",
        "ipam": {
            "type": "whereabouts",
            "range": f"172.16.{i}.0/24",
            "gateway": f"172.16.{i}.254",
            "range_end": f"172.16.{i}.250",
        },
    }
    for i in range(8)
]


def net(**changes):
    out = copy.deepcopy(MACVLAN)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def ipam(**changes):
    out = copy.deepcopy(MACVLAN["ipam"])
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def test_registered():
    assert errors_mod.FilterModule().filters()["network_errors"] is network_errors
    assert names_mod.FilterModule().filters()["k8s_name_errors"] is k8s_name_errors
    assert nad_mod.FilterModule().filters()["nad_cni_config"] is nad_cni_config


def test_seeds_are_valid():
    assert network_errors(SEEDS, V) == []


def test_empty_and_not_a_list():
    assert network_errors([], V) == []
    assert network_errors({"name": "x"}, V) == [f"{V}: must be a list of networks (got dict)"]


# (networks, expected path, words in the message): the bad-input matrix at unit level.
BAD = [
    ([net(name="RDMA_net")], f"{V}[0].name", "valid Kubernetes name"),
    ([net(name="")], f"{V}[0].name", "required"),
    ([net(name=None)], f"{V}[0].name", "required"),
    ([net(name="a" * 254)], f"{V}[0].name", "253"),
    ([net(namespace="Kube_System")], f"{V}[0].namespace", "DNS-1123 label"),
    ([net(namespace="a.b")], f"{V}[0].namespace", "DNS-1123 label"),
    ([net(), net()], f"{V}[1].name", f"already defined by {V}[0]"),
    ([net(type="bridge")], f"{V}[0].type", "must be one of"),
    ([net(type=None)], f"{V}[0].type", "must be one of"),
    ([net(master=None)], f"{V}[0].master", "required for type macvlan"),
    ([net(type="ipvlan", master=None, mode=None)], f"{V}[0].master", "required for type ipvlan"),
    ([net(master="a-very-long-interface")], f"{V}[0].master", "1-15"),
    ([net(master="eth/0")], f"{V}[0].master", "1-15"),
    ([net(type="host-device", master=None, resource=None, mtu=None)], f"{V}[0].master", "host-device"),
    ([net(type="sriov", master=None, resource=None, mtu=None)], f"{V}[0].resource", "required for type sriov"),
    ([net(type="ib-sriov", resource="x/y", mtu=None)], f"{V}[0].master", "takes its VF from resource"),
    ([net(resource="hca_shared_devices_a")], f"{V}[0].resource", "extended resource"),
    ([net(resource="Bad_Prefix/x")], f"{V}[0].resource", "dns-subdomain"),
    ([net(mode="l2")], f"{V}[0].mode", "bridge, private, vepa, passthru"),
    ([net(type="host-device", mode="bridge", mtu=None)], f"{V}[0].mode", "only macvlan and ipvlan"),
    ([net(mtu=50)], f"{V}[0].mtu", "68 to 65520"),
    ([net(mtu="jumbo")], f"{V}[0].mtu", "68 to 65520"),
    ([net(mtu=True)], f"{V}[0].mtu", "68 to 65520"),
    ([net(type="host-device", mtu=9000)], f"{V}[0].mtu", "keeps the device's MTU"),
    ([net(vlan=100)], f"{V}[0].vlan", "ens1f0.100"),
    ([net(type="sriov", master=None, mtu=None, vlan=4095)], f"{V}[0].vlan", "0 to 4094"),
    ([net(rdma_isolation="yes")], f"{V}[0].rdma_isolation", "boolean"),
    ([net(rdma_isolation=True)], f"{V}[0].rdma_isolation", "only types sriov"),
    ([net(link_type="ib")], f"{V}[0].link_type", "ethernet, infiniband"),
    ([net(master="ib0")], f"{V}[0].type", "macvlan cannot sit on the InfiniBand"),
    ([net(type="ipvlan", mode=None, master="ibp59s0")], f"{V}[0].type", "ipvlan cannot sit"),
    ([net(link_type="infiniband")], f"{V}[0].type", "cannot sit on the InfiniBand"),
    ([net(type="sriov", master=None, mtu=None, link_type="infiniband")], f"{V}[0].type", "use ib-sriov"),
    ([net(type="ib-sriov", master=None, mtu=None, link_type="ethernet")], f"{V}[0].type", "needs an InfiniBand link"),
    ([net(color="blue")], f"{V}[0]", "unknown key(s) color"),
    (["rdma-net"], f"{V}[0]", "must be a dictionary"),
    ([net(ipam="whereabouts")], f"{V}[0].ipam", "must be a dictionary"),
    ([net(ipam=ipam(type="dhcp"))], f"{V}[0].ipam.type", "whereabouts, host-local"),
    ([net(ipam=ipam(range=None))], f"{V}[0].ipam.range", "required"),
    ([net(ipam=ipam(range="192.168.10.0"))], f"{V}[0].ipam.range", "CIDR"),
    ([net(ipam=ipam(range="192.168.300.0/24"))], f"{V}[0].ipam.range", "not a valid CIDR"),
    ([net(ipam=ipam(range="192.168.10.5/24"))], f"{V}[0].ipam.range", "host bits set; the network is 192.168.10.0/24"),
    ([net(ipam=ipam(range_start="192.168.11.10"))], f"{V}[0].ipam.range_start", "outside the subnet"),
    ([net(ipam=ipam(range_end="10.0.0.1"))], f"{V}[0].ipam.range_end", "outside the subnet"),
    ([net(ipam=ipam(range_start="192.168.10.201"))], f"{V}[0].ipam.range_start", "comes after range_end"),
    ([net(ipam=ipam(range_start="fe80::1"))], f"{V}[0].ipam.range_start", "IPv6"),
    ([net(ipam=ipam(range_start="not-an-ip"))], f"{V}[0].ipam.range_start", "not a valid IP"),
    ([net(ipam=ipam(range_start="192.168.10.10/24"))], f"{V}[0].ipam.range_start", "without a prefix"),
    ([net(ipam=ipam(gateway="192.168.10.50"))], f"{V}[0].ipam.gateway", "inside the allocation range"),
    ([net(ipam=ipam(gateway="192.168.11.1"))], f"{V}[0].ipam.gateway", "outside the subnet"),
    ([net(ipam=ipam(gateway="192.168.10.255"))], f"{V}[0].ipam.gateway", "broadcast"),
    ([net(ipam=ipam(range_start=None, range_end=None))], f"{V}[0].ipam.gateway", "inside the allocation range"),
    ([net(ipam=ipam(exclude="192.168.10.0/30"))], f"{V}[0].ipam.exclude", "list of CIDRs"),
    ([net(ipam=ipam(exclude=["192.168.11.0/30"]))], f"{V}[0].ipam.exclude[0]", "not inside the subnet"),
    ([net(ipam=ipam(exclude=["192.168.10.1"]))], f"{V}[0].ipam.exclude[0]", "/32 for one address"),
    ([net(ipam=ipam(routes={"dst": "0.0.0.0/0"}))], f"{V}[0].ipam.routes", "list"),
    ([net(ipam=ipam(routes=[{"gw": "192.168.10.1"}]))], f"{V}[0].ipam.routes[0]", "dst"),
    ([net(ipam=ipam(routes=[{"dst": "0.0.0.0/0", "via": "x"}]))], f"{V}[0].ipam.routes[0]", "unknown key(s) via"),
    ([net(ipam=ipam(routes=[{"dst": "10.0.0.0/8", "gw": "10.0.0.1"}]))], f"{V}[0].ipam.routes[0].gw", "outside"),
    ([net(ipam=ipam(enable_overlapping_ranges="yes"))], f"{V}[0].ipam.enable_overlapping_ranges", "boolean"),
    ([net(ipam=ipam(network_name="Net_A"))], f"{V}[0].ipam.network_name", "lower-case"),
    ([net(ipam=ipam(node_slice_size="/16"))], f"{V}[0].ipam.node_slice_size", "longer than the range's /24"),
    ([net(ipam=ipam(node_slice_size="big"))], f"{V}[0].ipam.node_slice_size", "prefix length"),
    ([net(ipam=ipam(colour="x"))], f"{V}[0].ipam", "unknown key(s) for whereabouts: colour"),
    ([net(ipam=ipam(type="host-local"))], f"{V}[0].ipam", "unknown key(s) for host-local: exclude"),
    (
        [
            net(),
            net(
                name="other",
                ipam=ipam(
                    range="192.168.10.128/25", range_start=None, range_end=None, gateway=None, exclude=None, routes=None
                ),
            ),
        ],
        f"{V}[1].ipam.range",
        f"overlaps {V}[0].ipam.range 192.168.10.0/24",
    ),
]


@pytest.mark.parametrize(("networks", "path", "words"), BAD, ids=[f"{i:02d}-{b[1]}" for i, b in enumerate(BAD)])
def test_bad_input(networks, path, words):
    errors = network_errors(networks, V)
    assert errors, "expected an error"
    assert any(e.startswith(f"{path}: ") and words in e for e in errors), errors


def test_all_problems_reported_at_once():
    networks = [net(name="Bad_Name", type="vxlan"), net(name="ok", ipam=ipam(gateway="192.168.10.50", range="x"))]
    errors = network_errors(networks, V)
    assert f"{V}[0].name" in errors[0]
    assert any(e.startswith(f"{V}[0].type") for e in errors)
    assert any(e.startswith(f"{V}[1].ipam.range") for e in errors)


OTHER = {"type": "whereabouts", "range": "192.168.10.0/24"}


@pytest.mark.parametrize(
    ("a", "b", "ok"),
    [
        # the same range is one shared IPPool: no duplicates
        (OTHER, OTHER, True),
        # a different network_name declares separate L2 networks
        (OTHER, {**OTHER, "range": "192.168.10.0/25", "network_name": "tenant-b"}, True),
        # both check cluster-wide reservations
        (
            {**OTHER, "enable_overlapping_ranges": True},
            {**OTHER, "range": "192.168.10.0/25", "enable_overlapping_ranges": True},
            True,
        ),
        ({**OTHER, "enable_overlapping_ranges": True}, {**OTHER, "range": "192.168.10.0/25"}, False),
        # same subnet, disjoint allocation ranges
        ({**OTHER, "range_end": "192.168.10.99"}, {**OTHER, "range_start": "192.168.10.100"}, True),
        ({**OTHER, "range_end": "192.168.10.100"}, {**OTHER, "range_start": "192.168.10.100"}, False),
        (OTHER, {**OTHER, "range": "192.168.11.0/24"}, True),
        (OTHER, {"type": "whereabouts", "range": "fd00::/64"}, True),
        # host-local ranges are per node and not part of the whereabouts check
        (OTHER, {"type": "host-local", "range": "192.168.10.0/25"}, True),
    ],
)
def test_overlaps(a, b, ok):
    networks = [
        {"name": "a", "type": "macvlan", "master": "ens1f0", "ipam": a},
        {"name": "b", "type": "macvlan", "master": "ens1f1", "ipam": b},
    ]
    errors = network_errors(networks, V)
    assert (errors == []) is ok, errors


def test_link_types_from_inventory():
    networks = [{"name": "a", "type": "macvlan", "master": "ens1f0"}]
    assert network_errors(networks, V, {"ens1f0": "ib"})[0].startswith(f"{V}[0].type: macvlan cannot sit")
    assert network_errors(networks, V, {"ens1f0": "infiniband"})
    assert network_errors(networks, V, {"ens1f0": "eth"}) == []
    # an explicit link_type wins over the name rule
    assert network_errors([{"name": "a", "type": "macvlan", "master": "ib0", "link_type": "ethernet"}], V) == []
    # host-device on IPoIB is fine
    assert network_errors([{"name": "a", "type": "host-device", "master": "ib0"}], V) == []


def test_ipv6_and_small_networks():
    networks = [
        {
            "name": "v6",
            "type": "macvlan",
            "master": "ens1f0",
            "ipam": {
                "type": "whereabouts",
                "range": "fd00:10::/64",
                "gateway": "fd00:10::1",
                "range_start": "fd00:10::10",
            },
        },
        {"name": "p2p", "type": "macvlan", "master": "ens1f1", "ipam": {"type": "whereabouts", "range": "10.9.9.0/31"}},
    ]
    assert network_errors(networks, V) == []
    bad = [
        {
            "name": "v6",
            "type": "macvlan",
            "master": "ens1f0",
            "ipam": {"type": "whereabouts", "range": "fd00:10::/64", "gateway": "fd00:10::1"},
        }
    ]
    assert "inside the allocation range" in network_errors(bad, V)[0]


def test_string_numbers_accepted():
    assert network_errors([net(mtu="9000")], V) == []
    assert network_errors([{"name": "s", "type": "sriov", "resource": "x.io/vf", "vlan": "100"}], V) == []


@pytest.mark.parametrize(
    ("value", "kind", "ok"),
    [
        ("kube-system", "label", True),
        ("a" * 63, "label", True),
        ("a" * 64, "label", False),
        ("rdma.net", "label", False),
        ("rdma.net", "subdomain", True),
        ("-rdma", "subdomain", False),
        ("", "label", False),
        (None, "subdomain", False),
        (12, "subdomain", False),
    ],
)
def test_k8s_names(value, kind, ok):
    errors = k8s_name_errors(value, "multus_namespace", kind)
    assert (errors == []) is ok
    if not ok:
        assert errors[0].startswith("multus_namespace: ")


def test_k8s_name_kind_checked():
    with pytest.raises(AnsibleFilterError, match="kind must be"):
        k8s_name_errors("x", "v", "dns")


def test_cni_config_macvlan_whereabouts():
    assert nad_cni_config(MACVLAN) == {
        "cniVersion": "0.3.1",
        "name": "rdma-net",
        "type": "macvlan",
        "master": "ens1f0",
        "mode": "bridge",
        "mtu": 9000,
        "ipam": {
            "type": "whereabouts",
            "range": "192.168.10.0/24",
            "range_start": "192.168.10.10",
            "range_end": "192.168.10.200",
            "gateway": "192.168.10.1",
            "exclude": ["192.168.10.100/30"],
            "enable_overlapping_ranges": False,
            "routes": [{"dst": "10.10.0.0/16", "gw": "192.168.10.1"}],
        },
    }


def test_cni_config_seeds():
    configs = {n["name"]: nad_cni_config(n, "1.0.0") for n in SEEDS}
    assert configs["hostdev-net"] == {
        "cniVersion": "1.0.0",
        "name": "hostdev-net",
        "type": "host-device",
        "device": "ibp59s0",
        "ipam": {
            "type": "host-local",
            "ranges": [
                [
                    {
                        "subnet": "10.56.217.0/24",
                        "rangeStart": "10.56.217.171",
                        "rangeEnd": "10.56.217.181",
                        "gateway": "10.56.217.1",
                    }
                ]
            ],
            "routes": [{"dst": "0.0.0.0/0"}],
        },
    }
    assert configs["ib-sriov-net"]["type"] == "ib-sriov"
    assert configs["ib-sriov-net"]["rdmaIsolation"] is True
    sriov = configs["sriov-vlan100"]
    assert sriov["plugins"][0]["type"] == "sriov"
    assert sriov["plugins"][0]["vlan"] == 100
    assert sriov["plugins"][1] == {"type": "rdma"}
    assert configs["rdma-bond3"]["mode"] == "l2"
    assert configs["rdma-bond3"]["master"] == "bond3"


def test_cni_config_minimal_and_slices():
    assert nad_cni_config({"name": "l2", "type": "ipvlan", "master": "ens2"}) == {
        "cniVersion": "0.3.1",
        "name": "l2",
        "type": "ipvlan",
        "master": "ens2",
        "mode": "l2",
        "ipam": {},
    }
    conf = nad_cni_config(
        {
            "name": "fast",
            "type": "sriov",
            "resource": "x.io/vf",
            "ipam": {
                "type": "whereabouts",
                "range": "10.0.0.0/16",
                "node_slice_size": "24",
                "enable_overlapping_ranges": True,
            },
        }
    )
    assert conf["ipam"]["node_slice_size"] == "/24"
    assert conf["ipam"]["enable_overlapping_ranges"] is True
    assert nad_cni_config({"name": "h", "type": "host-device", "resource": "x.io/y"})["ipam"] == {}


@pytest.mark.parametrize("bad", [None, "net", {"name": "x", "type": "vxlan"}, {"type": "macvlan"}])
def test_cni_config_refuses_invalid(bad):
    with pytest.raises(AnsibleFilterError, match="network_errors"):
        nad_cni_config(bad)


def test_default_namespace_for_uniqueness():
    a = {"name": "n", "type": "macvlan", "master": "ens1f0"}
    b = {**a, "namespace": "rdma"}
    assert network_errors([a, b], V) == []
    assert "already defined" in network_errors([a, b], V, None, "rdma")[0]
