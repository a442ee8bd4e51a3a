"""RBAC least privilege of the cluster roles, checked by the real API server's authorizer.

rdmaops.fabric.multus and .whereabouts are applied to the lab control plane (without waiting for
the rollout); then, for each ServiceAccount they create, a SubjectAccessReview per (resource,
verb, namespace) asks the API server what the account may do. The allowed set must be exactly
what the component needs - nothing missing (the component would fail) and nothing more.

What each component needs comes from its source at the pinned release:
- multus-cni v4.2.4: informers on NetworkAttachmentDefinitions and pods (get/list/watch),
  pods/status UpdateStatus for the network-status annotation
  (network-attachment-definition-client utils.SetNetworkStatus), events (event recorder).
- whereabouts v0.9.4 (CNI binary, ip-control-loop, ip-reconciler share one account):
  IPPools Get/Create/Update/JSON Patch/List and an informer, OverlappingRangeIPReservations
  Get/Create/Delete/List and an informer, NodeSlicePools Get (+ informer), pods Get/List/informer,
  nodes Get, NetworkAttachmentDefinitions informer, events; leader-election leases
  (client-go LeaseLock: get/create/update) in the whereabouts namespace only.
- whereabouts node-slice controller: NodeSlicePools CRUD (no patch), node and
  NetworkAttachmentDefinition informers, events.
"""

from __future__ import annotations

import pytest
from _roles import run_role
from kubernetes import client

NS = "kube-system"
VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
# (group, resource, subresource)
RESOURCES = [
    ("k8s.cni.cncf.io", "network-attachment-definitions", ""),
    ("", "pods", ""),
    ("", "pods", "status"),
    ("", "pods", "exec"),
    ("", "events", ""),
    ("events.k8s.io", "events", ""),
    ("", "nodes", ""),
    ("", "nodes", "status"),
    ("", "secrets", ""),
    ("", "configmaps", ""),
    ("", "serviceaccounts", ""),
    ("", "serviceaccounts", "token"),
    ("whereabouts.cni.cncf.io", "ippools", ""),
    ("whereabouts.cni.cncf.io", "overlappingrangeipreservations", ""),
    ("whereabouts.cni.cncf.io", "nodeslicepools", ""),
    ("coordination.k8s.io", "leases", ""),
    ("apps", "daemonsets", ""),
    ("rbac.authorization.k8s.io", "clusterroles", ""),
    ("rbac.authorization.k8s.io", "clusterrolebindings", ""),
    ("apiextensions.k8s.io", "customresourcedefinitions", ""),
]
EVENTS = {
    ("", "events", ""): {"create", "patch", "update"},
    ("events.k8s.io", "events", ""): {"create", "patch", "update"},
}
READ = {"get", "list", "watch"}

# ServiceAccount -> {(group, resource, subresource, namespace): verbs}; namespace "*" means in
# every namespace we ask about (kube-system and default).
NEEDS = {
    "multus": {
        ("k8s.cni.cncf.io", "network-attachment-definitions", ""): READ,
        ("", "pods", ""): READ,
        ("", "pods", "status"): {"update"},
        **EVENTS,
    },
    "whereabouts": {
        ("whereabouts.cni.cncf.io", "ippools", ""): READ | {"create", "update", "patch"},
        ("whereabouts.cni.cncf.io", "overlappingrangeipreservations", ""): READ | {"create", "delete"},
        ("whereabouts.cni.cncf.io", "nodeslicepools", ""): READ,
        ("", "pods", ""): READ,
        ("", "nodes", ""): {"get"},
        ("k8s.cni.cncf.io", "network-attachment-definitions", ""): READ,
        **EVENTS,
    },
    "whereabouts-node-slice-controller": {
        ("whereabouts.cni.cncf.io", "nodeslicepools", ""): READ | {"create", "update", "delete"},
        ("", "nodes", ""): READ,
        ("k8s.cni.cncf.io", "network-attachment-definitions", ""): READ,
        **EVENTS,
    },
}
# Namespaced grants: only in the component's namespace.
NEEDS_IN_NAMESPACE = {
    "whereabouts": {("coordination.k8s.io", "leases", ""): {"get", "create", "update"}},
}
CLUSTER_SCOPED = {"nodes", "clusterroles", "clusterrolebindings", "customresourcedefinitions"}


@pytest.fixture(scope="module")
def applied(k8s_kubeconfig):
    """multus and whereabouts (node slices on) applied; the rollout wait is skipped on purpose."""
    for role, extra, skip in (
        ("multus", {}, "multus_rollout"),
        ("whereabouts", {"whereabouts_node_slices_enabled": True}, "whereabouts_rollout"),
    ):
        r = run_role(role, k8s_kubeconfig, extra, ("--skip-tags", skip))
        assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    yield
    for role in ("whereabouts", "multus"):
        run_role(role, k8s_kubeconfig, {f"{role}_state": "absent", f"{role}_node_hosts": []})


def allowed(authz, sa: str, group: str, resource: str, sub: str, verb: str, namespace: str | None) -> bool:
    review = client.V1SubjectAccessReview(
        spec=client.V1SubjectAccessReviewSpec(
            user=f"system:serviceaccount:{NS}:{sa}",
            groups=["system:serviceaccounts", f"system:serviceaccounts:{NS}", "system:authenticated"],
            resource_attributes=client.V1ResourceAttributes(
                group=group, resource=resource, subresource=sub or None, verb=verb, namespace=namespace
            ),
        )
    )
    return bool(authz.create_subject_access_review(review).status.allowed)


@pytest.mark.parametrize("sa", sorted(NEEDS))
def test_service_account_verbs_are_exactly_what_the_component_needs(applied, k8s_client, sa):
    authz = client.AuthorizationV1Api(k8s_client)
    problems = []
    for group, resource, sub in RESOURCES:
        for namespace in (None,) if resource in CLUSTER_SCOPED else (NS, "default"):
            want = set(NEEDS[sa].get((group, resource, sub), set()))
            if namespace == NS:
                want |= NEEDS_IN_NAMESPACE.get(sa, {}).get((group, resource, sub), set())
            got = {v for v in VERBS if allowed(authz, sa, group, resource, sub, v, namespace)}
            where = f"{group or 'core'}/{resource}{'/' + sub if sub else ''} in {namespace or 'cluster scope'}"
            if got - want:
                problems.append(f"{sa}: more than needed on {where}: {sorted(got - want)}")
            if want - got:
                problems.append(f"{sa}: missing on {where}: {sorted(want - got)}")
    assert not problems, "\n".join(problems)


def test_cluster_roles_have_no_wildcards(applied, k8s_client):
    rbac = client.RbacAuthorizationV1Api(k8s_client)
    roles = rbac.list_cluster_role(label_selector="app.kubernetes.io/managed-by=rdmaops.fabric").items
    roles += rbac.list_namespaced_role(NS, label_selector="app.kubernetes.io/managed-by=rdmaops.fabric").items
    assert {r.metadata.name for r in roles} >= {"multus", "whereabouts", "whereabouts-node-slice-controller"}
    for role in roles:
        for rule in role.rules:
            assert "*" not in (rule.verbs or []) + (rule.resources or []) + (rule.api_groups or []), role.metadata.name
