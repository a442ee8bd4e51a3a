"""Cluster phase on a private lab control plane (lab/k8s) with N kwok nodes.

Measures playbooks/cluster.yml from start to every DaemonSet Ready (the roles wait for their
rollouts; the DaemonSets are checked again afterwards), the no-op re-run, and the API writes of
the no-op run: the increase of kube-apiserver's `apiserver_request_total` for the write verbs
(POST, PUT, PATCH, APPLY, DELETE, DELETECOLLECTION) over the run, without the lab's own
background writers (kwok node heartbeats and pod status, the controllers' status updates,
events, leases, token/access reviews), listed per resource in the JSON.
"""

import json
import os
import re
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = REPO / "benchmarks"
WRITE_VERBS = {"POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION"}
# Written continuously by kwok, the controllers and the device-plugin stand-in of lab/k8s.
BACKGROUND_RESOURCES = {"leases", "events", "nodes", "pods", "endpointslices", "endpoints"}
METRIC = re.compile(r"^apiserver_request_total\{([^}]*)\} ([0-9.e+]+)$")


def node_names(n):
    return [f"bench-node-{i:03d}" for i in range(n)]


def k8s_env(state_dir, kubeconfig, names):
    env = dict(os.environ)
    env.update(
        LAB_K8S_STATE_DIR=str(state_dir),
        LAB_K8S_KUBECONFIG=str(kubeconfig),
        LAB_K8S_NODES=" ".join(names),
        LAB_K8S_TIMEOUT_SCALE=os.environ.get("LAB_K8S_TIMEOUT_SCALE", "3"),
    )
    return env


def kubectl(kubeconfig, *args):
    build = subprocess.run([str(REPO / "lab/k8s/build"), "--print-bindir"], check=True, text=True, capture_output=True)
    cmd = [f"{build.stdout.strip()}/kubectl", "--kubeconfig", str(kubeconfig), *args]
    return subprocess.run(cmd, check=True, text=True, capture_output=True).stdout


def write_counts(kubeconfig):
    """apiserver_request_total of the write verbs, by (resource, subresource)."""
    counts = {}
    for line in kubectl(kubeconfig, "get", "--raw", "/metrics").splitlines():
        m = METRIC.match(line)
        if not m:
            continue
        labels = dict(kv.split("=", 1) for kv in re.findall(r'(\w+="[^"]*")', m.group(1)))
        labels = {k: v.strip('"') for k, v in labels.items()}
        if labels.get("verb") not in WRITE_VERBS:
            continue
        key = labels.get("resource", "") + ("/" + labels["subresource"] if labels.get("subresource") else "")
        counts[key] = counts.get(key, 0) + float(m.group(2))
    return counts


# The kinds the cluster roles manage: a no-op run must leave their resourceVersions alone.
MANAGED = [
    "namespaces",
    "serviceaccounts",
    "configmaps",
    "daemonsets",
    "deployments",
    "clusterroles",
    "clusterrolebindings",
    "roles",
    "rolebindings",
    "customresourcedefinitions",
    "network-attachment-definitions",
]


def resource_versions(kubeconfig):
    """uid -> resourceVersion of every object of the managed kinds."""
    out = {}
    for kind in MANAGED:
        text = kubectl(
            kubeconfig,
            "get",
            kind,
            "-A",
            "-o",
            'jsonpath={range .items[*]}{.metadata.uid} {.metadata.resourceVersion}{"\\n"}{end}',
        )
        for line in text.splitlines():
            if line.strip():
                uid, rv = line.split()
                out[f"{kind}/{uid}"] = rv
    return out


def ours(key):
    resource, _, sub = key.partition("/")
    return not (resource in BACKGROUND_RESOURCES or resource.endswith("reviews") or sub == "status")


def write_inventory(path, names, kubeconfig):
    # One RoCE (shared mode) node in three, as in the fleet; the others InfiniBand with VFs.
    hosts = {}
    for i, name in enumerate(names):
        roce = i % 3 == 1
        hosts[name] = {
            "netns_mode_netns": "shared" if roce else "exclusive",
            "rdma_shared_dp_enabled": roce,
            "sriov_dp_enabled": not roce,
            "sriov_firmware_nics": [] if roce else [{"device_id": "15b3:101b", "num_vfs": 8, "link_type": "ib"}],
        }
    cluster_vars = json.loads((HERE / "inventory" / "cluster_vars.json").read_text())
    cluster_vars.pop("_comment")
    inventory = {
        "all": {
            "vars": {**cluster_vars, "rdmaops_kubeconfig": str(kubeconfig)},
            "children": {
                "rdma_nodes": {"hosts": hosts},
                "kube_node": {"hosts": dict.fromkeys(names)},
                "kube_control_plane": {
                    "hosts": {
                        "bench-control-plane": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                        }
                    }
                },
                "k8s_cluster": {"children": {"kube_control_plane": {}, "kube_node": {}}},
            },
        }
    }
    Path(path).write_text(json.dumps(inventory, indent=1))


def daemonsets_ready(kubeconfig):
    items = json.loads(kubectl(kubeconfig, "get", "daemonsets", "-A", "-o", "json"))["items"]
    state = {
        f"{d['metadata']['namespace']}/{d['metadata']['name']}": (
            d["status"].get("numberReady", 0),
            d["status"].get("desiredNumberScheduled", 0),
        )
        for d in items
    }
    ready = bool(state) and all(r == want and want > 0 for r, want in state.values())
    return ready, state


def run_cluster_play(inventory, work, tag, ansible_env):
    counts_file = work / f"counts-{tag}.json"
    log_file = work / f"log-{tag}.txt"
    t0 = time.monotonic()
    with open(log_file, "w") as log:
        rc = subprocess.run(
            [str(REPO / ".venv/bin/ansible-playbook"), "-i", str(inventory), str(REPO / "playbooks/cluster.yml")],
            cwd=REPO,
            env=ansible_env(counts_file),
            stdout=log,
            stderr=subprocess.STDOUT,
        ).returncode
    wall = time.monotonic() - t0
    if rc != 0:
        tail = "\n".join(log_file.read_text().splitlines()[-25:])
        raise SystemExit(f"cluster.yml ({tag}) failed with rc {rc}; log {log_file}:\n{tail}")
    counts = json.loads(counts_file.read_text())["bench-control-plane"]
    return round(wall, 2), counts


def measure(n, work, ansible_env):
    work.mkdir(parents=True, exist_ok=True)
    state_dir, kubeconfig = work / f"k8s-{n}", work / f"kubeconfig-{n}"
    names = node_names(n)
    env = k8s_env(state_dir, kubeconfig, names)
    t0 = time.monotonic()
    subprocess.run([str(REPO / "lab/k8s/up")], env=env, check=True, stdout=subprocess.DEVNULL)
    up_s = time.monotonic() - t0
    try:
        inventory = work / f"cluster-{n}.json"
        write_inventory(inventory, names, kubeconfig)
        first_s, first_counts = run_cluster_play(inventory, work, f"cluster-first-{n}", ansible_env)
        ready, ds = daemonsets_ready(kubeconfig)
        if not ready:
            raise SystemExit(f"cluster.yml finished but DaemonSets are not all Ready: {ds}")
        before, versions_before = write_counts(kubeconfig), resource_versions(kubeconfig)
        noop_s, noop_counts = run_cluster_play(inventory, work, f"cluster-noop-{n}", ansible_env)
        after, versions_after = write_counts(kubeconfig), resource_versions(kubeconfig)
        changed_objects = sorted(
            k.split("/")[0]
            for k in set(versions_before) | set(versions_after)
            if versions_before.get(k) != versions_after.get(k)
        )
        delta = {k: int(after.get(k, 0) - before.get(k, 0)) for k in after}
        delta = {k: v for k, v in delta.items() if v}
        ours_delta = {k: v for k, v in delta.items() if ours(k)}
        return {
            "nodes": n,
            "control_plane_up_s": round(up_s, 1),
            "first_s": first_s,
            "first_tasks": first_counts.get("ok", 0) + first_counts.get("failed", 0),
            "first_changed": first_counts.get("changed", 0),
            "daemonsets": {k: f"{r}/{w}" for k, (r, w) in ds.items()},
            "noop_s": noop_s,
            "noop_tasks": noop_counts.get("ok", 0) + noop_counts.get("failed", 0),
            "noop_changed": noop_counts.get("changed", 0),
            "noop_api_writes": sum(ours_delta.values()),
            "noop_api_writes_by_resource": ours_delta,
            # objects of the managed kinds whose resourceVersion moved (created, changed, deleted)
            "noop_objects_changed": len(changed_objects),
            "noop_objects_changed_kinds": changed_objects,
            "noop_background_writes_by_resource": {k: v for k, v in delta.items() if not ours(k)},
        }
    finally:
        subprocess.run([str(REPO / "lab/k8s/down")], env=env, check=False, stdout=subprocess.DEVNULL)
