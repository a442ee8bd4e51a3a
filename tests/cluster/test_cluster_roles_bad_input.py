"""Bad-input matrix of the cluster roles: every bad input is refused before any API write.

Each case runs the role that owns the variable with credentials that may only read (a
ServiceAccount bound to `view` plus CRD and namespace reads). A role that tried any write before
its validation would fail with `Forbidden` instead of the expected message, so a failure that
names the variable proves that the role refused the input before writing. The objects this
collection manages are also compared before and after each case.
"""

from __future__ import annotations

import copy
import uuid

import pytest
from _roles import run_role, token_kubeconfig
from kubernetes import client

NS = "kube-system"
READER = "rdmaops-bad-input-reader"

GOOD_NET = {
    "name": "rdma-net",
    "type": "macvlan",
    "master": "ens1f0",
    "resource": "rdma/hca_shared_devices_a",
    "ipam": {
        "type": "whereabouts",
        "range": "192.168.10.0/24",
        "range_start": "192.168.10.10",
        "gateway": "192.168.10.1",
    },
}


def nets(*changes):
    """rdma_networks with the first network changed (a dict of changes, None deletes a key)."""
    out = copy.deepcopy(GOOD_NET)
    for key, value in (changes[0] if changes else {}).items():
        target, _, leaf = key.rpartition(".")
        node = out["ipam"] if target == "ipam" else out
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return [out]


def ipam(**kw):
    return {f"ipam.{k}": v for k, v in kw.items()}


# id: (role, extra variables, variable path the message must name, words in the message)
CASES = {
    "overlapping-ranges": (
        "networks",
        {
            "rdma_networks": [
                *nets(),
                {
                    "name": "other",
                    "type": "macvlan",
                    "master": "ens1f1",
                    "ipam": {"type": "whereabouts", "range": "192.168.10.128/25"},
                },
            ]
        },
        "rdma_networks[1].ipam.range",
        "overlaps rdma_networks[0].ipam.range",
    ),
    "gateway-inside-range": (
        "networks",
        {"rdma_networks": nets(ipam(gateway="192.168.10.50"))},
        "rdma_networks[0].ipam.gateway",
        "inside the allocation range",
    ),
    "bad-cidr": (
        "networks",
        {"rdma_networks": nets(ipam(range="192.168.300.0/24"))},
        "rdma_networks[0].ipam.range",
        "not a valid CIDR",
    ),
    "cidr-host-bits": (
        "networks",
        {"rdma_networks": nets(ipam(range="192.168.10.7/24"))},
        "rdma_networks[0].ipam.range",
        "host bits",
    ),
    "unknown-type": ("networks", {"rdma_networks": nets({"type": "vxlan"})}, "rdma_networks[0].type", "must be one of"),
    "missing-master": ("networks", {"rdma_networks": nets({"master": None})}, "rdma_networks[0].master", "required"),
    "invalid-name": (
        "networks",
        {"rdma_networks": nets({"name": "RDMA_Net"})},
        "rdma_networks[0].name",
        "valid Kubernetes name",
    ),
    "macvlan-on-ib": (
        "networks",
        {"rdma_networks": nets({"master": "ibp59s0"})},
        "rdma_networks[0].type",
        "cannot sit on the InfiniBand",
    ),
    "range-start-outside": (
        "networks",
        {"rdma_networks": nets(ipam(range_start="192.168.11.10"))},
        "rdma_networks[0].ipam.range_start",
        "outside the subnet",
    ),
    "vlan-on-macvlan": ("networks", {"rdma_networks": nets({"vlan": 100})}, "rdma_networks[0].vlan", "only type sriov"),
    "sriov-without-resource": (
        "networks",
        {"rdma_networks": nets({"type": "sriov", "master": None, "resource": None})},
        "rdma_networks[0].resource",
        "required for type sriov",
    ),
    "duplicate-name": (
        "networks",
        {"rdma_networks": [*nets(), {**GOOD_NET, "ipam": {"type": "host-local", "range": "10.1.0.0/24"}}]},
        "rdma_networks[1].name",
        "already defined",
    ),
    "mtu-out-of-range": ("networks", {"rdma_networks": nets({"mtu": 70000})}, "rdma_networks[0].mtu", "68 to 65520"),
    "missing-namespace": (
        "networks",
        {"rdma_networks": nets({"namespace": "no-such-namespace"})},
        "rdma_networks[0].namespace",
        "does not exist",
    ),
    "networks-list-variable": (
        "networks",
        {"networks_list": nets({"type": "bridge"})},
        "networks_list[0].type",
        "must be one of",
    ),
    "image-without-tag": (
        "multus",
        {"multus_image": {"registry": "ghcr.io", "repository": "k8snetworkplumbingwg/multus-cni"}},
        "multus_image.tag",
        "required",
    ),
    "image-latest": (
        "whereabouts",
        {
            "whereabouts_image": {
                "registry": "ghcr.io",
                "repository": "k8snetworkplumbingwg/whereabouts",
                "tag": "latest",
            }
        },
        "whereabouts_image.tag",
        "latest",
    ),
    "image-bad-digest": (
        "multus",
        {
            "multus_image": {
                "registry": "ghcr.io",
                "repository": "k8snetworkplumbingwg/multus-cni",
                "tag": "v4.2.4-thick",
                "digest": "sha256:1234",
            }
        },
        "multus_image.digest",
        "sha256",
    ),
    "bad-namespace-name": ("multus", {"multus_namespace": "Kube_System"}, "multus_namespace", "DNS-1123 label"),
    "thin-token-too-short": (
        "multus",
        {"multus_thin_token_expiration_seconds": 60},
        "multus_thin_token_expiration_seconds",
        "at least 600",
    ),
    "bad-cron": (
        "whereabouts",
        {"whereabouts_reconciler_schedule": "every night"},
        "whereabouts_reconciler_schedule",
        "cron expression",
    ),
    "whereabouts-conf-dir": (
        "whereabouts",
        {"whereabouts_cni_conf_dir": "/srv/cni"},
        "whereabouts_cni_conf_dir",
        "/etc/cni/net.d",
    ),
}

KINDS = [
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("v1", "ServiceAccount"),
    ("v1", "ConfigMap"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "Deployment"),
    ("k8s.cni.cncf.io/v1", "NetworkAttachmentDefinition"),
]


def snapshot(k8s_client) -> dict[str, str]:
    """resourceVersion of every NetworkAttachmentDefinition and of every object we manage."""
    from kubernetes.dynamic import DynamicClient
    from kubernetes.dynamic.exceptions import ResourceNotFoundError

    dyn = DynamicClient(k8s_client)
    out = {}
    for api_version, kind in KINDS:
        try:
            res = dyn.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            continue
        selector = None if kind == "NetworkAttachmentDefinition" else "app.kubernetes.io/managed-by=rdmaops.fabric"
        for o in res.get(label_selector=selector).items:
            out[f"{kind}/{o.metadata.namespace or ''}/{o.metadata.name}"] = o.metadata.resourceVersion
    return out


@pytest.fixture(scope="module")
def reader_kubeconfig(k8s_client, k8s_kubeconfig, tmp_path_factory):
    """A kubeconfig whose user may read (view + CRDs + namespaces + nodes) but write nothing.

    Multus is applied first (as admin, without the rollout wait) so that the CRD the networks
    role reads exists; it is removed again at the end.
    """
    r = run_role("multus", k8s_kubeconfig, {}, ("--skip-tags", "multus_rollout"))
    assert r.returncode == 0, r.stdout[-4000:]
    core = client.CoreV1Api(k8s_client)
    rbac = client.RbacAuthorizationV1Api(k8s_client)
    meta = client.V1ObjectMeta(name=READER, labels={"rdmaops.fabric/test": "bad-input"})
    core.create_namespaced_service_account(NS, client.V1ServiceAccount(metadata=meta))
    rbac.create_cluster_role(
        client.V1ClusterRole(
            metadata=meta,
            rules=[
                client.V1PolicyRule(
                    api_groups=["apiextensions.k8s.io"],
                    resources=["customresourcedefinitions"],
                    verbs=["get", "list", "watch"],
                ),
                client.V1PolicyRule(api_groups=[""], resources=["namespaces", "nodes"], verbs=["get", "list", "watch"]),
                client.V1PolicyRule(
                    api_groups=["k8s.cni.cncf.io"],
                    resources=["network-attachment-definitions"],
                    verbs=["get", "list", "watch"],
                ),
            ],
        )
    )
    subjects = [client.RbacV1Subject(kind="ServiceAccount", name=READER, namespace=NS)]
    for role in (READER, "view"):
        rbac.create_cluster_role_binding(
            client.V1ClusterRoleBinding(
                metadata=client.V1ObjectMeta(name=f"{READER}-{role}" if role == "view" else READER, labels=meta.labels),
                role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role),
                subjects=subjects,
            )
        )
    token = core.create_namespaced_service_account_token(
        READER,
        NS,
        client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)),
    ).status.token
    path = token_kubeconfig(k8s_kubeconfig, token, tmp_path_factory.mktemp("reader") / "kubeconfig")
    yield path
    rbac.delete_cluster_role_binding(f"{READER}-view")
    rbac.delete_cluster_role_binding(READER)
    rbac.delete_cluster_role(READER)
    core.delete_namespaced_service_account(READER, NS)
    run_role("multus", k8s_kubeconfig, {"multus_state": "absent", "multus_node_hosts": []})


def test_reader_cannot_write(reader_kubeconfig):
    """The premise of the matrix: the same role run that writes fails with Forbidden for this user."""
    name = f"probe-{uuid.uuid4().hex[:6]}"
    r = run_role(
        "networks", reader_kubeconfig, {"rdma_networks": [{**GOOD_NET, "name": name}], "networks_prune": False}
    )
    assert r.returncode != 0
    assert "forbidden" in (r.stdout + r.stderr).lower(), r.stdout[-3000:]


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_refused_before_any_write(case, reader_kubeconfig, k8s_client):
    role, extra, variable, words = CASES[case]
    before = snapshot(k8s_client)
    r = run_role(role, reader_kubeconfig, extra)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out[-3000:]
    assert "forbidden" not in out.lower(), f"a write was attempted before the validation:\n{out[-3000:]}"
    assert f"{variable}:" in out, f"expected an error naming {variable}:\n{out[-3000:]}"
    assert words in out, f"expected {words!r}:\n{out[-3000:]}"
    assert snapshot(k8s_client) == before
