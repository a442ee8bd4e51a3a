"""Optional: the CNI configuration rdmaops.fabric.networks generates, executed by real CNI plugins.

The NetworkAttachmentDefinition the role writes for a macvlan + whereabouts network is read back
from the API server and run by the real `macvlan` plugin (Debian containernetworking-plugins),
which calls the real `whereabouts` IPAM plugin (built from the Go module proxy at the pinned
release, lab/cni/build) against the lab's API server, with a token of the `whereabouts`
ServiceAccount the role created - so the RBAC the role grants is what the allocation runs with.

What differs from a node, on purpose:
- the master interface is one end of a veth pair in this machine's network namespace, the pod is a
  fresh network namespace (no container runtime);
- the IPAM section gets `configuration_path` pointing at a whereabouts.conf in a scratch
  directory, instead of the DaemonSet-written /etc/cni/net.d/whereabouts.d/whereabouts.conf.

Checked: the interface appears in the pod namespace with an address from the configured range,
the allocation is recorded in the IPPool with the pod's reference, and DEL releases it.
Skipped (not failed) where it cannot run: not root, no `ip netns`, no CNI plugins, no Go.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from _roles import REPO, run_role, token_kubeconfig
from kubernetes import client

CNI_DIR = Path("/usr/lib/cni")
NS = "kube-system"
POD = "cni-netns-test-pod"
RANGE = "192.168.77.0/24"
START, END = "192.168.77.10", "192.168.77.20"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(shutil.which("ip") is None, reason="needs iproute2"),
    pytest.mark.skipif(not (CNI_DIR / "macvlan").exists(), reason="needs containernetworking-plugins"),
]


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=60)


@pytest.fixture(scope="module")
def whereabouts_bin() -> str:
    if shutil.which("go") is None and not Path("/usr/local/go/bin/go").exists():
        pytest.skip("needs a Go toolchain to build whereabouts")
    r = subprocess.run([str(REPO / "lab" / "cni" / "build")], capture_output=True, text=True, timeout=3600)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def dummy():
    """The master: one end of a veth pair (kernels without the dummy driver have veth)."""
    name = f"rdmaops{uuid.uuid4().hex[:6]}"
    sh("ip", "link", "add", name, "type", "veth", "peer", "name", f"{name}p")
    sh("ip", "link", "set", name, "up")
    yield name
    sh("ip", "link", "del", name, check=False)


@pytest.fixture(scope="module")
def network(k8s_kubeconfig, dummy):
    net = {
        "name": "cni-netns-test",
        "type": "macvlan",
        "master": dummy,
        "mtu": 1500,
        "ipam": {
            "type": "whereabouts",
            "range": RANGE,
            "range_start": START,
            "range_end": END,
            "gateway": "192.168.77.1",
        },
    }
    for role, skip in (("multus", "multus_rollout"), ("whereabouts", "whereabouts_rollout")):
        r = run_role(role, k8s_kubeconfig, {}, ("--skip-tags", skip))
        assert r.returncode == 0, r.stdout[-4000:]
    r = run_role("networks", k8s_kubeconfig, {"rdma_networks": [net]})
    assert r.returncode == 0, r.stdout[-4000:]
    yield net
    run_role("networks", k8s_kubeconfig, {"networks_state": "absent"})
    for role in ("whereabouts", "multus"):
        run_role(role, k8s_kubeconfig, {f"{role}_state": "absent", f"{role}_node_hosts": []})


@pytest.fixture
def pod_netns(k8s_client):
    core = client.CoreV1Api(k8s_client)
    core.create_namespaced_pod(
        "default",
        client.V1Pod(
            metadata=client.V1ObjectMeta(name=POD, annotations={"k8s.v1.cni.cncf.io/networks": "cni-netns-test"}),
            spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="registry.k8s.io/pause:3.10")]),
        ),
    )
    name = f"rdmaops-pod-{uuid.uuid4().hex[:6]}"
    sh("ip", "netns", "add", name)
    yield name
    sh("ip", "netns", "del", name, check=False)
    core.delete_namespaced_pod(POD, "default", grace_period_seconds=0)


def whereabouts_kubeconfig(k8s_client, admin_kubeconfig: str, path: Path) -> None:
    """A kubeconfig with a token of the whereabouts ServiceAccount, namespace kube-system."""
    token = (
        client.CoreV1Api(k8s_client)
        .create_namespaced_service_account_token(
            "whereabouts",
            NS,
            client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)),
        )
        .status.token
    )
    token_kubeconfig(admin_kubeconfig, token, path, namespace=NS)


def allocations(k8s_client) -> dict:
    pools = client.CustomObjectsApi(k8s_client).list_namespaced_custom_object(
        "whereabouts.cni.cncf.io", "v1alpha1", NS, "ippools"
    )["items"]
    return {p["spec"]["range"]: p["spec"].get("allocations", {}) for p in pools}


def test_macvlan_whereabouts_in_a_netns(network, whereabouts_bin, pod_netns, k8s_client, k8s_kubeconfig, tmp_path):
    nad = client.CustomObjectsApi(k8s_client).get_namespaced_custom_object(
        "k8s.cni.cncf.io", "v1", "default", "network-attachment-definitions", network["name"]
    )
    conf = json.loads(nad["spec"]["config"])
    assert conf["type"] == "macvlan" and conf["ipam"]["type"] == "whereabouts"

    whereabouts_kubeconfig(k8s_client, k8s_kubeconfig, tmp_path / "whereabouts.kubeconfig")
    (tmp_path / "whereabouts.conf").write_text(
        json.dumps(
            {
                "datastore": "kubernetes",
                "kubernetes": {"kubeconfig": str(tmp_path / "whereabouts.kubeconfig")},
                "log_file": str(tmp_path / "whereabouts.log"),
                "log_level": "debug",
            }
        )
    )
    conf["ipam"]["configuration_path"] = str(tmp_path / "whereabouts.conf")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "macvlan").symlink_to(CNI_DIR / "macvlan")
    (bindir / "whereabouts").symlink_to(whereabouts_bin)
    container = uuid.uuid4().hex
    env = {
        "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
        "CNI_CONTAINERID": container,
        "CNI_NETNS": f"/run/netns/{pod_netns}",
        "CNI_IFNAME": "net1",
        "CNI_PATH": str(bindir),
        "CNI_ARGS": ";".join(
            [
                "IgnoreUnknown=1",
                "K8S_POD_NAMESPACE=default",
                f"K8S_POD_NAME={POD}",
                f"K8S_POD_INFRA_CONTAINER_ID={container}",
            ]
        ),
        "NODENAME": "rdma-ib-1",
    }

    def cni(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(bindir / "macvlan")],
            input=json.dumps(conf),
            capture_output=True,
            text=True,
            env={**env, "CNI_COMMAND": command},
            timeout=120,
        )

    add = cni("ADD")
    log = (tmp_path / "whereabouts.log").read_text() if (tmp_path / "whereabouts.log").exists() else ""
    assert add.returncode == 0, f"ADD failed: {add.stdout}\n{add.stderr}\nwhereabouts log:\n{log[-3000:]}"
    result = json.loads(add.stdout)
    address = ipaddress.ip_interface(result["ips"][0]["address"])
    assert ipaddress.ip_address(START) <= address.ip <= ipaddress.ip_address(END)
    assert address.network == ipaddress.ip_network(RANGE)

    shown = json.loads(sh("ip", "-n", pod_netns, "-j", "addr", "show", "net1").stdout)
    assert str(address.ip) in [a["local"] for a in shown[0]["addr_info"]]

    pool = allocations(k8s_client)[RANGE]
    assert [a["podref"] for a in pool.values()] == [f"default/{POD}"]

    delete = cni("DEL")
    assert delete.returncode == 0, delete.stderr
    assert allocations(k8s_client).get(RANGE, {}) == {}
