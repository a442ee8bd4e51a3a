# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: k8s_rollout_report
short_description: Explain why DaemonSet, Deployment or StatefulSet rollouts are not complete
version_added: 0.1.0
author: rdmaops.fabric maintainers
description:
  - Takes the objects the rdmaops.fabric.k8s_rollout role waited for (the registered loop results of
    M(kubernetes.core.k8s_info), each with C(item) and C(resources)), the pods of their namespaces and
    the Warning events there, and returns one line per object whose rollout is not complete followed by
    one line per pod that is not ready, naming the pod, its node and the reason.
  - Reasons, most specific first - the scheduler's message for an unschedulable pod, the waiting or
    terminated state of each container (init containers first) with the last termination reason
    (for example C(OOMKilled)), a readiness probe that fails, or the pod condition that is not true.
  - Pods belong to an object through the controller's owner reference (DaemonSet, StatefulSet, the
    ReplicaSets of a Deployment, matched by the selector's C(matchLabels)).
  - Returns an empty list when every rollout is complete.
positional: pods, events
options:
  _input:
    description:
      - Loop results of M(kubernetes.core.k8s_info), one per object (C(item) with C(kind), C(name),
        C(namespace)).
    type: list
    elements: dict
    required: true
  pods:
    description: Pods (as M(kubernetes.core.k8s_info) returns them) in the namespaces of the objects.
    type: list
    elements: dict
    default: []
  events:
    description:
      - Events in the namespaces of the objects. Warning events of the objects (and of a Deployment's
        ReplicaSets) are reported, and the last Warning event of each pod that is not ready.
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Fail with the pods that are not ready and why
  ansible.builtin.fail:
    msg: "{{ __objects.results | rdmaops.fabric.k8s_rollout_report(__pods.resources, __events.resources) }}"
  # - DaemonSet kube-system/kube-multus-ds: 2 of 3 pods ready (desired 3, updated 3, available 2)
  # -   pod kube-system/kube-multus-ds-x7k2p on node rdma-ib-2: container kube-multus waiting:
  #     ImagePullBackOff: Back-off pulling image "ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.4-thick"
"""

RETURN = r"""
_value:
  description: Lines of the report, empty when every rollout is complete.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError


def _get(obj, *path, default=None):
    for key in path:
        if not isinstance(obj, dict):
            return default
        obj = obj.get(key)
        if obj is None:
            return default
    return obj


def _dicts(value):
    """The mappings of a list (API objects from odd sources may hold anything)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _conditions(obj):
    return {c.get("type"): c for c in _dicts(_get(obj, "status", "conditions"))}


def object_problems(kind, obj):
    """Why the rollout of one object is not complete (empty list when it is)."""
    status = obj.get("status") or {}
    generation = _get(obj, "metadata", "generation", default=0)
    observed = status.get("observedGeneration", 0) or 0
    problems = []
    if observed < generation:
        problems.append(f"the controller has not yet observed generation {generation} (observed {observed})")
    if kind == "DaemonSet":
        desired = status.get("desiredNumberScheduled", 0) or 0
        updated = status.get("updatedNumberScheduled", 0) or 0
        ready = status.get("numberReady", 0) or 0
        available = status.get("numberAvailable", 0) or 0
        if status.get("desiredNumberScheduled") is None:
            problems.append("no status yet")
        elif updated < desired or ready < desired or available < desired:
            problems.append(
                f"{ready} of {desired} pods ready (desired {desired}, updated {updated}, available {available})"
            )
        misscheduled = status.get("numberMisscheduled", 0) or 0
        if misscheduled:
            problems.append(f"{misscheduled} pods run on nodes they should not")
    elif kind == "Deployment":
        replicas = _get(obj, "spec", "replicas", default=1)
        updated = status.get("updatedReplicas", 0) or 0
        total = status.get("replicas", 0) or 0
        available = status.get("availableReplicas", 0) or 0
        progressing = _conditions(obj).get("Progressing", {})
        failure = _conditions(obj).get("ReplicaFailure", {})
        if progressing.get("reason") == "ProgressDeadlineExceeded":
            problems.append(f"progress deadline exceeded: {progressing.get('message', '')}".rstrip(": "))
        if failure.get("status") == "True":
            problems.append(f"replica failure: {failure.get('message', failure.get('reason', ''))}")
        if updated < replicas or total > updated or available < replicas:
            problems.append(f"{available} of {replicas} replicas available (updated {updated}, total {total})")
    elif kind == "StatefulSet":
        replicas = _get(obj, "spec", "replicas", default=1)
        ready = status.get("readyReplicas", 0) or 0
        updated = status.get("updatedReplicas", 0) or 0
        if ready < replicas or updated < replicas:
            problems.append(f"{ready} of {replicas} replicas ready (updated {updated})")
        if status.get("updateRevision") and status.get("updateRevision") != status.get("currentRevision"):
            problems.append(f"update to revision {status.get('updateRevision')} in progress")
    else:
        raise AnsibleFilterError(f"k8s_rollout_report: unsupported kind {kind!r} (DaemonSet, Deployment, StatefulSet)")
    return problems


def _container_reason(status, init=False):
    name = status.get("name", "?")
    what = "init container" if init else "container"
    state = status.get("state") or {}
    last = _get(status, "lastState", "terminated", "reason")
    restarts = status.get("restartCount", 0) or 0
    suffix = ""
    if last or restarts:
        suffix = f" (restarts {restarts}" + (f", last termination: {last}" if last else "") + ")"
    if "waiting" in state:
        waiting = state["waiting"] or {}
        reason = waiting.get("reason", "Waiting")
        message = waiting.get("message")
        return f"{what} {name} waiting: {reason}" + (f": {message}" if message else "") + suffix
    if "terminated" in state:
        term = state["terminated"] or {}
        text = f"{what} {name} terminated: {term.get('reason', 'Terminated')} (exit code {term.get('exitCode', '?')})"
        if term.get("message"):
            text += f": {term['message']}"
        return text + suffix
    if init:
        return f"{what} {name} still running" + suffix
    return f"{what} {name} running but not ready (readiness probe failing)" + suffix


def pod_reason(pod):
    """Why one pod is not ready: scheduler message, container states or pod conditions."""
    if _get(pod, "metadata", "deletionTimestamp"):
        return "terminating"
    conditions = _conditions(pod)
    scheduled = conditions.get("PodScheduled", {})
    if scheduled.get("status") == "False":
        return f"unschedulable: {scheduled.get('message') or scheduled.get('reason', 'not scheduled')}"
    reasons = []
    for status in _dicts(_get(pod, "status", "initContainerStatuses")):
        if not status.get("ready"):
            reasons.append(_container_reason(status, init=True))
    for status in _dicts(_get(pod, "status", "containerStatuses")):
        if not status.get("ready"):
            reasons.append(_container_reason(status))
    if reasons:
        return "; ".join(reasons)
    for ctype in ("Initialized", "ContainersReady", "Ready"):
        cond = conditions.get(ctype)
        if cond and cond.get("status") != "True":
            detail = ": ".join(x for x in (cond.get("reason"), cond.get("message")) if x)
            return f"condition {ctype}={cond.get('status')}" + (f" ({detail})" if detail else "")
    phase = _get(pod, "status", "phase", default="Unknown")
    reason = _get(pod, "status", "reason")
    return f"phase {phase}" + (f" ({reason})" if reason else "")


def pod_ready(pod):
    return _conditions(pod).get("Ready", {}).get("status") == "True" and not _get(pod, "metadata", "deletionTimestamp")


def _owned(kind, obj, pod):
    meta = obj.get("metadata") or {}
    if _get(pod, "metadata", "namespace") != meta.get("namespace"):
        return False
    owners = _get(pod, "metadata", "ownerReferences", default=[])
    if kind in ("DaemonSet", "StatefulSet"):
        return any(o.get("uid") == meta.get("uid") for o in owners)
    labels = _get(pod, "metadata", "labels", default={})
    selector = _get(obj, "spec", "selector", "matchLabels", default={})
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        return False
    return any(
        o.get("kind") == "ReplicaSet" and str(o.get("name", "")).startswith(f"{meta.get('name')}-") for o in owners
    )


def _object_events(kind, obj, events):
    meta = obj.get("metadata") or {}
    out = []
    for event in events:
        involved = event.get("involvedObject") or event.get("regarding") or {}
        if event.get("type") != "Warning" or _get(event, "metadata", "namespace") != meta.get("namespace"):
            continue
        mine = involved.get("uid") == meta.get("uid") or (
            kind == "Deployment"
            and involved.get("kind") == "ReplicaSet"
            and str(involved.get("name", "")).startswith(f"{meta.get('name')}-")
        )
        if mine:
            out.append(f"{event.get('reason', 'Warning')}: {event.get('message') or event.get('note', '')}")
    # Oldest first as the API lists them; keep the last few distinct messages.
    distinct = list(dict.fromkeys(out))
    return distinct[-3:]


def _pod_events(pod, events):
    uid = _get(pod, "metadata", "uid")
    name = _get(pod, "metadata", "name")
    out = []
    for event in events:
        involved = event.get("involvedObject") or event.get("regarding") or {}
        if event.get("type") != "Warning" or involved.get("kind", "Pod") != "Pod":
            continue
        if (uid and involved.get("uid") == uid) or (not uid and involved.get("name") == name):
            out.append(f"{event.get('reason', 'Warning')}: {event.get('message') or event.get('note', '')}")
    return out


def k8s_rollout_report(results, pods=None, events=None):
    """Lines naming each object whose rollout is incomplete and each of its pods that is not ready."""
    if not isinstance(results, list):
        raise AnsibleFilterError("k8s_rollout_report: input must be the list of k8s_info loop results")
    pods = pods or []
    events = events or []
    lines = []
    for result in results:
        item = result.get("item") or {}
        kind, name, namespace = item.get("kind"), item.get("name"), item.get("namespace")
        label = f"{kind} {namespace}/{name}"
        resources = result.get("resources") or []
        if result.get("failed"):
            lines.append(f"{label}: could not be read: {result.get('msg', 'unknown error')}")
            continue
        if not resources:
            lines.append(f"{label}: not found")
            continue
        obj = resources[0]
        problems = object_problems(kind, obj)
        mine = [p for p in pods if _owned(kind, obj, p)]
        not_ready = [p for p in mine if not pod_ready(p)]
        if not problems and not not_ready:
            continue
        lines.append(f"{label}: " + ("; ".join(problems) if problems else "pods not ready"))
        if kind == "DaemonSet" and not mine and not _get(obj, "status", "desiredNumberScheduled"):
            lines.append("  no node matches the nodeSelector, affinity and tolerations of its pod template")
        for pod in sorted(not_ready, key=lambda p: _get(p, "metadata", "name", default="")):
            node = _get(pod, "spec", "nodeName")
            where = f"on node {node}" if node else "(not scheduled)"
            reason = pod_reason(pod)
            # The pod's own last Warning event often says more (NodeNotReady, FailedMount, ...).
            pod_events = _pod_events(pod, events)
            if pod_events:
                reason += f" (last event {pod_events[-1]})"
            lines.append(f"  pod {namespace}/{_get(pod, 'metadata', 'name')} {where}: {reason}")
        for message in _object_events(kind, obj, events):
            lines.append(f"  event {message}")
    return lines


class FilterModule:
    def filters(self):
        return {"k8s_rollout_report": k8s_rollout_report}
