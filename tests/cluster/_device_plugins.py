"""Helpers of the device-plugin tests (tests/cluster/test_device_plugins_*.py)."""

from __future__ import annotations

from pathlib import Path

import yaml
from _roles import run_role, token_kubeconfig
from kubernetes import client
from kubernetes.dynamic import DynamicClient

NS = "kube-system"
COMPONENTS = "app.kubernetes.io/name in (rdma-shared-dp,sriov-dp)"
MANAGED = "app.kubernetes.io/managed-by=rdmaops.fabric"
KINDS = [
    ("v1", "ServiceAccount"),
    ("v1", "ConfigMap"),
    ("apps/v1", "DaemonSet"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
]

# The lab's inventory, as the device-plugin roles read it: seed 000 (shared) on rdma-ib-1,
# InfiniBand VFs on rdma-ib-2, RoCE VFs on rdma-roce-1 (exclusive netns on both).
HOSTS = {
    "rdma-ib-1": {"netns_mode_netns": "shared"},
    "rdma-ib-2": {
        "netns_mode_netns": "exclusive",
        "rdma_shared_dp_enabled": False,
        "sriov_firmware_nics": [{"device_id": "15b3:101b", "num_vfs": 8, "link_type": "ib"}],
    },
    "rdma-roce-1": {
        "netns_mode_netns": "exclusive",
        "rdma_shared_dp_enabled": False,
        "sriov_firmware_nics": [{"netdev": "ens1f0", "num_vfs": 4, "link_type": "eth"}],
    },
}


def inventory(path: Path, hosts: dict | None = None) -> Path:
    """An inventory with group rdma_nodes (never contacted: local connection, and the tests never
    run state=absent with the CNI clean-up against it)."""
    hosts = HOSTS if hosts is None else hosts
    path.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "children": {
                        "rdma_nodes": {
                            "hosts": {h: {"ansible_connection": "local", **v} for h, v in hosts.items()},
                        }
                    }
                }
            }
        )
    )
    return path


def run_dp(role: str, kubeconfig: str, inv: Path, extra: dict | None = None, args: tuple[str, ...] = ()):
    return run_role(role, kubeconfig, extra, ("-i", str(inv), *args))


def snapshot(k8s_client) -> dict[str, str]:
    """resourceVersion of every object of the two device-plugin roles."""
    dyn = DynamicClient(k8s_client)
    out = {}
    for api_version, kind in KINDS:
        res = dyn.resources.get(api_version=api_version, kind=kind)
        for o in res.get(label_selector=f"{MANAGED},{COMPONENTS}").items:
            out[f"{kind}/{o.metadata.namespace or ''}/{o.metadata.name}"] = o.metadata.resourceVersion
    return out


def reader_kubeconfig(k8s_client, admin_kubeconfig: str, path: Path, name: str) -> tuple[str, callable]:
    """A kubeconfig whose user may read (ClusterRole view, which includes namespaces) and write
    nothing; returns (path, cleanup)."""
    core = client.CoreV1Api(k8s_client)
    rbac = client.RbacAuthorizationV1Api(k8s_client)
    meta = client.V1ObjectMeta(name=name, labels={"rdmaops.fabric/test": "device-plugins"})
    core.create_namespaced_service_account(NS, client.V1ServiceAccount(metadata=meta))
    rbac.create_cluster_role_binding(
        client.V1ClusterRoleBinding(
            metadata=meta,
            role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="view"),
            subjects=[client.RbacV1Subject(kind="ServiceAccount", name=name, namespace=NS)],
        )
    )
    token = core.create_namespaced_service_account_token(
        name,
        NS,
        client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)),
    ).status.token
    kubeconfig = token_kubeconfig(admin_kubeconfig, token, path)

    def cleanup():
        rbac.delete_cluster_role_binding(name)
        core.delete_namespaced_service_account(name, NS)

    return kubeconfig, cleanup
