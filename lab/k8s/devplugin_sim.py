#!/usr/bin/env python3
"""Lab-only device-plugin stand-in. SIMULATION: nothing here talks to a device or a kubelet.

On a real node, a device plugin (e.g. the RDMA shared device plugin or the SR-IOV network
device plugin) registers with the kubelet, and the kubelet then advertises the plugin's
extended resources in the node's status.capacity / status.allocatable. The lab's nodes are
kwok fakes with no kubelet, so this controller plays that part:

  A pod that is Running on a kwok-managed node (annotation kwok.x-k8s.io/node=fake) and
  carries the annotation

      lab.rdmaops.io/simulated-resources: '{"rdma/hca_shared_devices": "1k"}'

  (a JSON object: extended resource name -> quantity; put it on the DaemonSet's pod template)
  makes those resources appear in that node's status.capacity and status.allocatable. When no
  such pod runs there any more, they are removed again. If several pods on one node declare
  the same resource, the largest quantity wins.

Which resources this controller set on a node is recorded in the node annotation
lab.rdmaops.io/simulated-resources-applied, so a restart cleans up correctly; resources it did
not set are never touched. Started and stopped by lab/k8s/up and lab/k8s/down.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import sys
import time
from pathlib import Path

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
from kubernetes.utils import parse_quantity

POD_ANNOTATION = "lab.rdmaops.io/simulated-resources"
APPLIED_ANNOTATION = "lab.rdmaops.io/simulated-resources-applied"
KWOK_ANNOTATION = "kwok.x-k8s.io/node"
MERGE = "application/merge-patch+json"
# an extended resource: a domain-prefixed name outside kubernetes.io (what device plugins use)
RESOURCE_RE = re.compile(
    r"^(?!([^/]*\.)?kubernetes\.io/)"
    r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)

log = logging.getLogger("devplugin-sim")


def pod_resources(pod) -> dict[str, str] | None:
    """The resources a pod declares, if it qualifies (annotated, Running, bound, not deleting)."""
    ann = (pod.metadata.annotations or {}).get(POD_ANNOTATION)
    if ann is None:
        return None
    if pod.metadata.deletion_timestamp or not pod.spec.node_name or (pod.status.phase or "") != "Running":
        return None
    ref = f"{pod.metadata.namespace}/{pod.metadata.name}"
    try:
        decl = json.loads(ann)
        if not isinstance(decl, dict):
            raise ValueError("not a JSON object")
    except ValueError as e:
        log.warning("pod %s: ignoring %s=%r: %s", ref, POD_ANNOTATION, ann, e)
        return None
    out = {}
    for name, qty in decl.items():
        qty = str(qty)
        if not RESOURCE_RE.match(name):
            log.warning("pod %s: %r is not an extended resource name; ignored", ref, name)
            continue
        try:
            if parse_quantity(qty) < 0:
                raise ValueError("negative")
        except ValueError as e:
            log.warning("pod %s: %s=%r is not a quantity (%s); ignored", ref, name, qty, e)
            continue
        out[name] = qty
    return out


class Sim:
    def __init__(self, api: client.CoreV1Api):
        self.api = api
        self.pods: dict[str, tuple[str, dict[str, str]]] = {}  # ns/name -> (node, resources)

    def desired(self, node: str) -> dict[str, str]:
        want: dict[str, str] = {}
        for n, res in self.pods.values():
            if n != node:
                continue
            for r, q in res.items():
                if r not in want or parse_quantity(q) > parse_quantity(want[r]):
                    want[r] = q
        return want

    def observe(self, pod) -> set[str]:
        """Update the pod map; return the nodes whose desired state may have changed."""
        key = f"{pod.metadata.namespace}/{pod.metadata.name}"
        old = self.pods.pop(key, None)
        res = pod_resources(pod)
        if res:
            self.pods[key] = (pod.spec.node_name, res)
        nodes = {old[0]} if old else set()
        if res:
            nodes.add(pod.spec.node_name)
        return nodes

    def forget(self, pod) -> set[str]:
        old = self.pods.pop(f"{pod.metadata.namespace}/{pod.metadata.name}", None)
        return {old[0]} if old else set()

    def reconcile(self, name: str) -> None:
        try:
            node = self.api.read_node(name)
        except ApiException as e:
            if e.status == 404:
                return
            raise
        ann = node.metadata.annotations or {}
        if ann.get(KWOK_ANNOTATION) != "fake":
            return  # a real node: its kubelet and real device plugins own its resources
        try:
            applied = json.loads(ann.get(APPLIED_ANNOTATION) or "{}")
        except ValueError:
            applied = {}
        want = self.desired(name)
        cap = node.status.capacity or {}
        alloc = node.status.allocatable or {}
        in_sync = (
            all(cap.get(r) == q and alloc.get(r) == q for r, q in want.items())
            and not any(r in cap or r in alloc for r in applied if r not in want)
            and applied == want
        )
        if in_sync:
            return
        # record first (union), so a crash between the two patches never orphans a resource
        union = {**applied, **want}
        self.api.patch_node(
            name,
            {"metadata": {"annotations": {APPLIED_ANNOTATION: json.dumps(union, sort_keys=True)}}},
            _content_type=MERGE,
        )
        res = {r: want.get(r) for r in union}  # None deletes (JSON merge patch)
        self.api.patch_node_status(name, {"status": {"capacity": res, "allocatable": res}}, _content_type=MERGE)
        self.api.patch_node(
            name,
            {"metadata": {"annotations": {APPLIED_ANNOTATION: json.dumps(want, sort_keys=True) if want else None}}},
            _content_type=MERGE,
        )
        log.info("node %s: simulated resources now %s (was %s)", name, want or "{}", applied or "{}")

    def resync(self) -> str:
        pods = self.api.list_pod_for_all_namespaces()
        self.pods.clear()
        for pod in pods.items:
            self.observe(pod)
        for node in self.api.list_node().items:
            self.reconcile(node.metadata.name)
        return pods.metadata.resource_version


def main() -> int:
    ap = argparse.ArgumentParser(description="lab-only device-plugin stand-in (simulation)")
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--ready-file", help="created after the first full sync")
    ap.add_argument("--resync-seconds", type=int, default=30)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    config.load_kube_config(config_file=args.kubeconfig)
    sim = Sim(client.CoreV1Api())
    ready = False
    while True:
        try:
            rv = sim.resync()
            if not ready and args.ready_file:
                Path(args.ready_file).write_text(f"{time.time()}\n")
                ready = True
                log.info("initial sync done; watching pods")
            w = watch.Watch()
            for ev in w.stream(
                sim.api.list_pod_for_all_namespaces,
                resource_version=rv,
                timeout_seconds=args.resync_seconds,
                allow_watch_bookmarks=True,
            ):
                if ev["type"] == "ERROR":
                    break
                if ev["type"] == "BOOKMARK":
                    continue
                pod = ev["object"]
                nodes = sim.forget(pod) if ev["type"] == "DELETED" else sim.observe(pod)
                for n in nodes:
                    sim.reconcile(n)
        except ApiException as e:
            if e.status != 410:
                log.warning("API error: %s %s; retrying", e.status, e.reason)
                time.sleep(2)
        except Exception as e:  # keep the lab's stand-in alive across transient failures
            log.warning("%s: %s; retrying", type(e).__name__, e)
            time.sleep(2)


if __name__ == "__main__":
    sys.exit(main())
