"""Smoke tests of the lab control plane (lab/k8s): a real API server, real controllers."""

from __future__ import annotations

import json
import os
import socket
import time
import uuid

import pytest
from _clusterlab import run_lab
from kubernetes import client
from kubernetes.client.rest import ApiException

PCI_LABEL = "feature.node.kubernetes.io/pci-15b3.present"
SIM_ANNOTATION = "lab.rdmaops.io/simulated-resources"
# unique per run, so other users of a shared lab control plane cannot interfere
RESOURCE = f"smoke.rdmaops.io/hca_shared_devices_{uuid.uuid4().hex[:6]}"
PAUSE = "registry.k8s.io/pause:3.10"  # never pulled: kwok only pretends to run containers


def wait_until(what: str, fn, timeout: float = 60, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last is True:
            return
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}; last: {last}", pytrace=False)


def raw_get(api: client.ApiClient, path: str) -> tuple[int, str]:
    params = api.param_serialize("GET", path, auth_settings=["BearerToken"])
    r = api.call_api(*params)
    r.read()
    return r.status, r.data.decode()


@pytest.fixture
def namespace(k8s_client):
    core = client.CoreV1Api(k8s_client)
    name = f"smoke-{uuid.uuid4().hex[:8]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    wait_until("default ServiceAccount in the test namespace", lambda: _sa_exists(core, name) or "missing", timeout=30)
    yield name
    core.delete_namespace(name)


def _sa_exists(core, ns) -> bool:
    try:
        core.read_namespaced_service_account("default", ns)
        return True
    except ApiException as e:
        if e.status == 404:
            return False
        raise


def daemonset(name: str, annotations: dict | None = None) -> client.V1DaemonSet:
    labels = {"app": name}
    return client.V1DaemonSet(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1DaemonSetSpec(
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels, annotations=annotations),
                spec=client.V1PodSpec(
                    node_selector={PCI_LABEL: "true"},
                    containers=[client.V1Container(name="main", image=PAUSE)],
                ),
            ),
        ),
    )


def ds_ready(apps, ns, name, want: int):
    st = apps.read_namespaced_daemon_set_status(name, ns).status
    got = (st.desired_number_scheduled, st.number_ready, st.number_available)
    return True if got == (want, want, want) else f"desired/ready/available = {got}, want {want}"


# ------------------------------------------------------------------------------------------
def test_server_version_is_real(k8s_client, k8s_lab):
    v = client.VersionApi(k8s_client).get_code()
    want = k8s_lab.versions["K8S_VERSION"]
    assert v.git_version == want
    assert (v.major, v.minor) == tuple(want.lstrip("v").split(".")[:2])
    assert v.platform == "linux/amd64"


def test_readyz_and_livez(k8s_client):
    assert raw_get(k8s_client, "/readyz") == (200, "ok")
    assert raw_get(k8s_client, "/livez") == (200, "ok")


def test_lab_nodes_registered_ready_and_untainted(k8s_client, k8s_lab):
    nodes = {n.metadata.name: n for n in client.CoreV1Api(k8s_client).list_node().items}
    assert len(k8s_lab.nodes) >= 3
    for name in k8s_lab.nodes:
        n = nodes[name]
        assert n.metadata.labels[PCI_LABEL] == "true"
        assert n.metadata.labels["kubernetes.io/hostname"] == name
        assert n.metadata.labels["kubernetes.io/os"] == "linux"
        assert n.metadata.annotations["kwok.x-k8s.io/node"] == "fake"
        assert not [t for t in (n.spec.taints or []) if t.effect in ("NoSchedule", "NoExecute")]
        ready = [c for c in n.status.conditions if c.type == "Ready"]
        assert ready and ready[0].status == "True"


def test_daemonset_ready_on_all_nodes_within_60s(k8s_client, k8s_lab, namespace):
    apps = client.AppsV1Api(k8s_client)
    apps.create_namespaced_daemon_set(namespace, daemonset("smoke"))
    core = client.CoreV1Api(k8s_client)
    want = len(core.list_node(label_selector=f"{PCI_LABEL}=true").items)
    assert want >= len(k8s_lab.nodes) >= 3
    wait_until("DaemonSet Ready on every lab node", lambda: ds_ready(apps, namespace, "smoke", want), timeout=60)
    pods = core.list_namespaced_pod(namespace, label_selector="app=smoke").items
    assert set(k8s_lab.nodes) <= {p.spec.node_name for p in pods}
    assert all(p.status.phase == "Running" and p.status.pod_ip for p in pods)


def test_device_plugin_standin_advertises_resources(k8s_client, k8s_lab, namespace):
    core, apps = client.CoreV1Api(k8s_client), client.AppsV1Api(k8s_client)

    def node_res():
        return {
            n.metadata.name: (n.status.allocatable or {}).get(RESOURCE)
            for n in core.list_node().items
            if n.metadata.name in k8s_lab.nodes
        }

    assert set(node_res().values()) == {None}, "resource present before any device plugin runs"
    apps.create_namespaced_daemon_set(
        namespace, daemonset("fake-rdma-dp", {SIM_ANNOTATION: json.dumps({RESOURCE: "1k"})})
    )
    wait_until(
        "stand-in to advertise the resource on every node",
        lambda: set(node_res().values()) == {"1k"} or node_res(),
        timeout=60,
    )
    cap = core.read_node(k8s_lab.nodes[0]).status.capacity
    assert cap[RESOURCE] == "1k"

    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="consumer"),
        spec=client.V1PodSpec(
            containers=[
                client.V1Container(
                    name="main", image=PAUSE, resources=client.V1ResourceRequirements(limits={RESOURCE: "1"})
                )
            ]
        ),
    )
    core.create_namespaced_pod(namespace, pod)

    def running():
        p = core.read_namespaced_pod("consumer", namespace)
        return True if p.spec.node_name and p.status.phase == "Running" else f"{p.spec.node_name} {p.status.phase}"

    wait_until("the pod requesting the resource to be scheduled and Running", running, timeout=60)

    # a pod asking for more than any node has stays Pending (the scheduler really checks)
    big = client.V1Pod(
        metadata=client.V1ObjectMeta(name="too-big"),
        spec=client.V1PodSpec(
            containers=[
                client.V1Container(
                    name="main", image=PAUSE, resources=client.V1ResourceRequirements(limits={RESOURCE: "2k"})
                )
            ]
        ),
    )
    core.create_namespaced_pod(namespace, big)

    def unschedulable():
        conds = core.read_namespaced_pod("too-big", namespace).status.conditions or []
        return True if any(c.type == "PodScheduled" and c.reason == "Unschedulable" for c in conds) else conds

    wait_until("the oversized pod to be reported Unschedulable", unschedulable, timeout=60)
    assert core.read_namespaced_pod("too-big", namespace).spec.node_name is None

    apps.delete_namespaced_daemon_set("fake-rdma-dp", namespace)
    wait_until(
        "stand-in to withdraw the resource", lambda: set(node_res().values()) == {None} or node_res(), timeout=60
    )


def test_up_again_is_a_fast_noop(k8s_lab):
    t0 = time.monotonic()
    r = run_lab("up", timeout=120)
    assert "already up" in r.stdout
    assert time.monotonic() - t0 < 20


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_down_leaves_no_process_or_port(k8s_lab, tmp_path):
    """A second, private control plane (own state dir, own free ports): up, then down."""
    state_dir, kubeconfig = tmp_path / "k8s", tmp_path / "kubeconfig"
    args = ["--state-dir", str(state_dir), "--kubeconfig", str(kubeconfig)]
    run_lab("up", *args, "--nodes", "down-1 down-2 down-3", "--no-build", timeout=300)
    try:
        st = json.loads((state_dir / "state.json").read_text())
        pids, ports = st["pids"], st["ports"]
        assert set(pids) >= {
            "etcd",
            "kube-apiserver",
            "kube-controller-manager",
            "kube-scheduler",
            "kwok",
            "devplugin-sim",
        }
        assert all(os.path.exists(f"/proc/{pid}") for pid in pids.values())
        assert _listening(ports["apiserver"]) and _listening(ports["etcd"])
        assert kubeconfig.exists()
    finally:
        r = run_lab("down", *args, timeout=120)
    assert "removed" in r.stdout
    alive = [c for c, pid in pids.items() if _alive(pid)]
    assert not alive, f"still running after down: {alive}"
    assert not [n for n, port in ports.items() if _listening(port)]
    assert not state_dir.exists()
    assert not kubeconfig.exists()
    # and the shared control plane was not disturbed
    assert run_lab("status", "--quiet", check=False).returncode == 0


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
