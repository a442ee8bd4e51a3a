"""RBAC least privilege of rdmaops.fabric.rdma_shared_dp and .sriov_dp, checked by the real API
server's authorizer.

What each component needs from the Kubernetes API, from its source at the pinned release: nothing.
- k8s-rdma-shared-dev-plugin v1.5.3: talks only to the kubelet (device-plugin gRPC over the
  sockets in the kubelet's root dir); no Kubernetes API client in cmd/ or pkg/.
- sriov-network-device-plugin v3.11.0: the same (client-go is only an indirect module of go.mod).
- sriov-cni v2.10.0, ib-sriov-cni v1.3.0, rdma-cni v1.6.0 installer images: copy a binary, sleep.

So each ServiceAccount must be bound to no Role / ClusterRole, must not mount a token, and a
SubjectAccessReview per (resource, verb, namespace) must be denied for all of them.
"""

from __future__ import annotations

import pytest
from _device_plugins import NS, inventory, run_dp
from kubernetes import client

ACCOUNTS = ["rdma-shared-dp", "sriov-device-plugin", "rdmaops-sriov-cni-installer"]
DAEMONSETS = {
    "rdma-shared-dp-ds": "rdma-shared-dp",
    "kube-sriov-device-plugin": "sriov-device-plugin",
    "rdmaops-sriov-cni-installer": "rdmaops-sriov-cni-installer",
}
VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
# (group, resource, subresource): what a device plugin could conceivably want, and the dangerous ones
RESOURCES = [
    ("", "nodes", ""),
    ("", "nodes", "status"),
    ("", "pods", ""),
    ("", "pods", "status"),
    ("", "pods", "exec"),
    ("", "configmaps", ""),
    ("", "secrets", ""),
    ("", "events", ""),
    ("events.k8s.io", "events", ""),
    ("", "serviceaccounts", "token"),
    ("apps", "daemonsets", ""),
    ("k8s.cni.cncf.io", "network-attachment-definitions", ""),
    ("coordination.k8s.io", "leases", ""),
    ("resource.k8s.io", "resourceslices", ""),
    ("rbac.authorization.k8s.io", "clusterrolebindings", ""),
]
NAMESPACES = [NS, "default", ""]  # "" = cluster scope


@pytest.fixture(scope="module")
def deployed(k8s_kubeconfig, tmp_path_factory):
    """Both roles applied as admin (without the rollout waits), removed again at the end."""
    inv = inventory(tmp_path_factory.mktemp("dp-rbac") / "inventory.yml")
    for role in ("rdma_shared_dp", "sriov_dp"):
        r = run_dp(role, k8s_kubeconfig, inv, {}, ("--skip-tags", f"{role}_rollout"))
        assert r.returncode == 0, r.stdout[-4000:]
    yield
    for role, extra in (
        ("sriov_dp", {"sriov_dp_state": "absent", "sriov_dp_cni_cleanup": False}),
        ("rdma_shared_dp", {"rdma_shared_dp_state": "absent"}),
    ):
        run_dp(role, k8s_kubeconfig, inv, extra)


def allowed(authz, account, group, resource, subresource, verb, namespace) -> bool:
    review = client.V1SubjectAccessReview(
        spec=client.V1SubjectAccessReviewSpec(
            user=f"system:serviceaccount:{NS}:{account}",
            groups=["system:serviceaccounts", f"system:serviceaccounts:{NS}", "system:authenticated"],
            resource_attributes=client.V1ResourceAttributes(
                group=group, resource=resource, subresource=subresource or None, verb=verb, namespace=namespace or None
            ),
        )
    )
    return bool(authz.create_subject_access_review(review).status.allowed)


@pytest.mark.parametrize("account", ACCOUNTS)
def test_account_may_do_nothing(deployed, k8s_client, account):
    authz = client.AuthorizationV1Api(k8s_client)
    granted = [
        f"{verb} {group or 'core'}/{resource}{'/' + sub if sub else ''} in {ns or 'cluster scope'}"
        for group, resource, sub in RESOURCES
        for verb in VERBS
        for ns in NAMESPACES
        if allowed(authz, account, group, resource, sub, verb, ns)
    ]
    assert granted == [], f"{account} may {granted}"


@pytest.mark.parametrize("account", ACCOUNTS)
def test_no_binding_names_the_account(deployed, k8s_client, account):
    rbac = client.RbacAuthorizationV1Api(k8s_client)
    bindings = list(rbac.list_cluster_role_binding().items) + list(rbac.list_role_binding_for_all_namespaces().items)
    naming = [
        f"{b.kind or type(b).__name__} {b.metadata.namespace or ''}/{b.metadata.name}"
        for b in bindings
        for s in b.subjects or []
        if s.kind == "ServiceAccount" and s.name == account and s.namespace == NS
    ]
    assert naming == []


@pytest.mark.parametrize(("daemonset", "account"), sorted(DAEMONSETS.items()))
def test_no_token_is_mounted(deployed, k8s_client, daemonset, account):
    core = client.CoreV1Api(k8s_client)
    apps = client.AppsV1Api(k8s_client)
    assert core.read_namespaced_service_account(account, NS).automount_service_account_token is False
    spec = apps.read_namespaced_daemon_set(daemonset, NS).spec.template.spec
    assert spec.service_account_name == account
    assert spec.automount_service_account_token is False
    assert not any(v.projected for v in spec.volumes or [])


def test_cni_installer_is_unprivileged(deployed, k8s_client):
    spec = client.AppsV1Api(k8s_client).read_namespaced_daemon_set("rdmaops-sriov-cni-installer", NS).spec.template.spec
    assert not spec.host_network
    for c in spec.containers:
        sc = c.security_context
        assert sc.privileged is False and sc.allow_privilege_escalation is False
        assert sc.read_only_root_filesystem is True
        assert sc.capabilities.drop == ["ALL"] and not sc.capabilities.add
