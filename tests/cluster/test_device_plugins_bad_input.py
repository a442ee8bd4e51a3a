"""Bad-input matrix of rdmaops.fabric.rdma_shared_dp and .sriov_dp: every bad input is refused
before any API write, with a message that names the variable.

Each case runs the role against the lab's real API server with credentials that may only read
(ClusterRole `view`). A role that tried any write before its validation would fail with
`Forbidden` instead of the expected message, so a failure that names the variable proves that
the input was refused before writing. The objects of both roles are also compared before and
after each case.
"""

from __future__ import annotations

import copy

import pytest
from _device_plugins import HOSTS, inventory, reader_kubeconfig, run_dp, snapshot

READER = "rdmaops-dp-bad-input-reader"
POOL = {"resourceName": "hca_shared_devices", "rdmaHcaMax": 1000, "selectors": {"vendors": ["15b3"]}}


def pool(**changes):
    """rdma_shared_dp_resources with one pool changed (None deletes a key)."""
    out = copy.deepcopy(POOL)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return [out]


def hosts(**per_host):
    """The lab inventory with some host variables changed."""
    out = copy.deepcopy(HOSTS)
    for name, changes in per_host.items():
        out.setdefault(name, {}).update(changes)
    return out


IMAGE = {"registry": "ghcr.io", "repository": "mellanox/k8s-rdma-shared-dev-plugin"}

# id: (role, extra variables, inventory hosts or None (the lab's), text naming the variable, words)
CASES = {
    # --- rdma_shared_dp -------------------------------------------------------------------
    "shared-empty-selectors": (
        "rdma_shared_dp",
        {"rdma_shared_dp_resources": pool(selectors={"vendors": [], "ifNames": []})},
        None,
        "rdma_shared_dp_resources[0].selectors:",
        "must select devices",
    ),
    "shared-no-selector": (
        "rdma_shared_dp",
        {"rdma_shared_dp_resources": pool(selectors=None)},
        None,
        "rdma_shared_dp_resources[0].selectors:",
        "must select devices",
    ),
    "shared-rdmahcamax-zero": (
        "rdma_shared_dp",
        {"rdma_shared_dp_resources": pool(rdmaHcaMax=0)},
        None,
        "rdma_shared_dp_resources[0].rdmaHcaMax:",
        "must be >= 1",
    ),
    "shared-rdmahcamax-negative": (
        "rdma_shared_dp",
        {"rdma_shared_dp_resources": pool(rdmaHcaMax=-5)},
        None,
        "rdma_shared_dp_resources[0].rdmaHcaMax:",
        "must be >= 1",
    ),
    "shared-invalid-resource-name": (
        "rdma_shared_dp",
        {"rdma_shared_dp_resources": pool(resourceName="hca-shared/devices")},
        None,
        "rdma_shared_dp_resources[0].resourceName:",
        "letters, digits or '_'",
    ),
    "shared-prefix-the-kubelet-refuses": (
        "rdma_shared_dp",
        {"rdma_shared_dp_resources": pool(resourcePrefix="example_prefix")},
        None,
        "rdma_shared_dp_resources[0].resourcePrefix:",
        "DNS subdomain",
    ),
    "shared-duplicate-name": (
        "rdma_shared_dp",
        {"rdma_shared_dp_resources": pool() + pool()},
        None,
        "rdma_shared_dp_resources[1].resourceName:",
        "duplicates",
    ),
    "shared-selectors-and-devices": (
        "rdma_shared_dp",
        {"rdma_shared_dp_resources": pool(devices=["ib0"])},
        None,
        "rdma_shared_dp_resources[0]:",
        "both selectors and devices",
    ),
    "shared-link-type-ib": (
        "rdma_shared_dp",
        {"rdma_shared_dp_resources": pool(selectors={"linkTypes": ["ib"]})},
        None,
        "rdma_shared_dp_resources[0].selectors.linkTypes[0]:",
        "ether or infiniband",
    ),
    "shared-upper-case-vendor": (
        "rdma_shared_dp",
        {"rdma_shared_dp_resources": pool(selectors={"vendors": ["15B3"]})},
        None,
        "rdma_shared_dp_resources[0].selectors.vendors[0]:",
        "lower-case hex",
    ),
    "shared-exclusive-netns": (
        "rdma_shared_dp",
        {},
        hosts(**{"rdma-ib-2": {"rdma_shared_dp_enabled": True}}),
        "netns_mode_netns is 'exclusive' on rdma-ib-2",
        "rdma_shared_dp_enabled",
    ),
    "shared-image-without-tag": (
        "rdma_shared_dp",
        {"rdma_shared_dp_image": IMAGE},
        None,
        "rdma_shared_dp_image.tag:",
        "required",
    ),
    "shared-image-latest": (
        "rdma_shared_dp",
        {"rdma_shared_dp_image": {**IMAGE, "tag": "latest"}},
        None,
        "rdma_shared_dp_image.tag:",
        "latest",
    ),
    "shared-negative-interval": (
        "rdma_shared_dp",
        {"rdma_shared_dp_periodic_update_interval": -1},
        None,
        "rdma_shared_dp_periodic_update_interval:",
        "must be >= 0",
    ),
    "shared-relative-kubelet-dir": (
        "rdma_shared_dp",
        {"rdma_shared_dp_kubelet_root_dir": "var/lib/kubelet"},
        None,
        "rdma_shared_dp_kubelet_root_dir is",
        "absolute path",
    ),
    "shared-missing-namespace": (
        "rdma_shared_dp",
        {"rdma_shared_dp_namespace": "no-such-namespace"},
        None,
        "rdma_shared_dp_namespace:",
        "does not exist",
    ),
    # --- sriov_dp -------------------------------------------------------------------------
    "sriov-empty-selector-object": (
        "sriov_dp",
        {"sriov_dp_resources": [{"resourceName": "vfs", "selectors": [{}]}]},
        None,
        "sriov_dp_resources[0].selectors[0]:",
        "every network device",
    ),
    "sriov-invalid-resource-name": (
        "sriov_dp",
        {"sriov_dp_resources": [{"resourceName": "mlnx-ib-vf", "linkType": "ib"}]},
        None,
        "sriov_dp_resources[0].resourceName:",
        "letters, digits or '_'",
    ),
    "sriov-pool-without-source": (
        "sriov_dp",
        {"sriov_dp_resources": [{"resourceName": "vfs"}]},
        None,
        "sriov_dp_resources[0]:",
        "exactly one of linkType",
    ),
    "sriov-no-vf-anywhere": (
        "sriov_dp",
        {},
        hosts(**{h: {"sriov_firmware_nics": []} for h in HOSTS}),
        "sriov_dp_resources selects no VF",
        "sriov_firmware_nics",
    ),
    "sriov-unknown-pf-device-id": (
        "sriov_dp",
        {},
        hosts(**{"rdma-ib-2": {"sriov_firmware_nics": [{"device_id": "8086:1572", "num_vfs": 8}]}}),
        "hostvars['rdma-ib-2'].sriov_firmware_nics[0].device_id:",
        "pci or netdev",
    ),
    "sriov-rdma-pool-in-shared-netns": (
        "sriov_dp",
        {},
        hosts(**{"rdma-roce-1": {"netns_mode_netns": "shared"}}),
        "netns_mode_netns is not 'exclusive' on rdma-roce-1",
        "rdma-cni",
    ),
    "sriov-cni-image-latest": (
        "sriov_dp",
        {
            "sriov_dp_rdma_cni_image": {
                "registry": "ghcr.io",
                "repository": "k8snetworkplumbingwg/rdma-cni",
                "tag": "latest",
            }
        },
        None,
        "sriov_dp_rdma_cni_image.tag:",
        "latest",
    ),
    "sriov-unknown-cni-plugin": (
        "sriov_dp",
        {"sriov_dp_cni_plugins": ["sriov", "macvlan"]},
        None,
        "sriov_dp_cni_plugins",
        "macvlan",
    ),
}


@pytest.fixture(scope="module")
def reader(k8s_client, k8s_kubeconfig, tmp_path_factory):
    path, cleanup = reader_kubeconfig(
        k8s_client, k8s_kubeconfig, tmp_path_factory.mktemp("dp-reader") / "kubeconfig", READER
    )
    yield path
    cleanup()


def test_reader_cannot_write(reader, tmp_path):
    """The premise of the matrix: a good input run with these credentials fails with Forbidden."""
    r = run_dp("rdma_shared_dp", reader, inventory(tmp_path / "inventory.yml"), {"rdma_shared_dp_namespace": "default"})
    assert r.returncode != 0
    assert "forbidden" in (r.stdout + r.stderr).lower(), r.stdout[-3000:]


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_refused_before_any_write(case, reader, k8s_client, tmp_path):
    role, extra, inv_hosts, variable, words = CASES[case]
    before = snapshot(k8s_client)
    r = run_dp(role, reader, inventory(tmp_path / "inventory.yml", inv_hosts), extra)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out[-3000:]
    assert "forbidden" not in out.lower(), f"a write was attempted before the validation:\n{out[-3000:]}"
    assert variable in out, f"expected an error naming {variable}:\n{out[-3000:]}"
    assert words in out, f"expected {words!r}:\n{out[-3000:]}"
    assert snapshot(k8s_client) == before
