# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rdmaops.fabric.k8s_rollout_report: which objects are not rolled out, which pods, on which node, why."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.rdmaops.fabric.plugins.filter.k8s_rollout_report import (
    FilterModule,
    k8s_rollout_report,
    object_problems,
    pod_reason,
)

NS = "kube-system"
DS_UID = "11111111-1111-1111-1111-111111111111"


def ds(desired=3, updated=3, ready=3, available=3, generation=2, observed=2, **extra):
    return {
        "metadata": {"name": "kube-multus-ds", "namespace": NS, "uid": DS_UID, "generation": generation},
        "spec": {"selector": {"matchLabels": {"name": "multus"}}},
        "status": {
            "desiredNumberScheduled": desired,
            "updatedNumberScheduled": updated,
            "numberReady": ready,
            "numberAvailable": available,
            "observedGeneration": observed,
            **extra,
        },
    }


def deploy(replicas=2, updated=2, total=2, available=2, conditions=()):
    return {
        "metadata": {"name": "controller", "namespace": NS, "uid": "d", "generation": 1},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "controller"}}},
        "status": {
            "observedGeneration": 1,
            "updatedReplicas": updated,
            "replicas": total,
            "availableReplicas": available,
            "conditions": list(conditions),
        },
    }


def pod(
    name, node="rdma-ib-1", ready=True, owner=None, labels=None, containers=None, init=None, conditions=None, **meta
):
    conds = conditions if conditions is not None else [{"type": "Ready", "status": "True" if ready else "False"}]
    status = {"phase": "Running", "conditions": conds}
    if containers is not None:
        status["containerStatuses"] = containers
    if init is not None:
        status["initContainerStatuses"] = init
    return {
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": labels or {"name": "multus"},
            "ownerReferences": [owner or {"kind": "DaemonSet", "uid": DS_UID}],
            **meta,
        },
        "spec": {"nodeName": node} if node else {},
        "status": status,
    }


def result(kind, obj, name=None):
    name = name or (obj or {}).get("metadata", {}).get("name", "missing")
    return {"item": {"kind": kind, "name": name, "namespace": NS}, "resources": [obj] if obj else []}


def test_registered():
    assert FilterModule().filters()["k8s_rollout_report"] is k8s_rollout_report


def test_all_ready_is_empty():
    pods = [pod(f"kube-multus-ds-{i}", node=f"rdma-ib-{i}") for i in range(3)]
    assert k8s_rollout_report([result("DaemonSet", ds())], pods, []) == []


def test_not_ready_pods_named_with_node_and_reason():
    pods = [
        pod("kube-multus-ds-a"),
        pod(
            "kube-multus-ds-b",
            node="rdma-ib-2",
            ready=False,
            containers=[
                {
                    "name": "kube-multus",
                    "ready": False,
                    "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting"}},
                    "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}},
                }
            ],
        ),
        pod(
            "kube-multus-ds-c",
            node=None,
            ready=False,
            conditions=[
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/3 nodes are available: 3 Insufficient memory.",
                }
            ],
        ),
        # someone else's pod with the same labels is not ours
        pod("foreign", ready=False, owner={"kind": "DaemonSet", "uid": "other"}),
    ]
    events = [
        {
            "type": "Warning",
            "reason": "FailedCreate",
            "message": "quota exceeded",
            "metadata": {"namespace": NS},
            "involvedObject": {"uid": DS_UID},
        },
        {
            "type": "Warning",
            "reason": "Other",
            "message": "not ours",
            "metadata": {"namespace": NS},
            "involvedObject": {"uid": "x"},
        },
        {
            "type": "Normal",
            "reason": "SuccessfulCreate",
            "message": "created",
            "metadata": {"namespace": NS},
            "involvedObject": {"uid": DS_UID},
        },
    ]
    lines = k8s_rollout_report([result("DaemonSet", ds(ready=1, available=1))], pods, events)
    assert lines[0] == (f"DaemonSet {NS}/kube-multus-ds: 1 of 3 pods ready (desired 3, updated 3, available 1)")
    assert lines[1] == (
        f"  pod {NS}/kube-multus-ds-b on node rdma-ib-2: container kube-multus waiting: CrashLoopBackOff: "
        "back-off 40s restarting (restarts 4, last termination: OOMKilled)"
    )
    assert lines[2] == (
        f"  pod {NS}/kube-multus-ds-c (not scheduled): unschedulable: 0/3 nodes are available: 3 Insufficient memory."
    )
    assert lines[3] == "  event FailedCreate: quota exceeded"
    assert len(lines) == 4


def test_missing_and_unreadable_objects():
    lines = k8s_rollout_report(
        [
            result("DaemonSet", None, "whereabouts"),
            {"item": {"kind": "DaemonSet", "name": "x", "namespace": NS}, "failed": True, "msg": "Unauthorized"},
        ],
    )
    assert lines == [f"DaemonSet {NS}/whereabouts: not found", f"DaemonSet {NS}/x: could not be read: Unauthorized"]


def test_daemonset_without_nodes_gets_a_hint():
    lines = k8s_rollout_report([result("DaemonSet", ds(desired=0, updated=0, ready=0, available=0, observed=1))])
    assert "has not yet observed generation 2" in lines[0]
    assert "no node matches" in lines[1]


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        ({"metadata": {"generation": 1}, "status": {}}, "no status yet"),
        (ds(numberMisscheduled=1), "1 pods run on nodes they should not"),
        (ds(updated=2), "3 of 3 pods ready (desired 3, updated 2"),
    ],
)
def test_daemonset_problems(obj, words):
    assert any(words in p for p in object_problems("DaemonSet", obj))


def test_deployment():
    rs_owner = {"kind": "ReplicaSet", "name": "controller-7d9f", "uid": "rs"}
    stuck = deploy(
        available=1,
        conditions=[
            {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": "ReplicaSet controller-7d9f has timed out progressing.",
            },
            {"type": "ReplicaFailure", "status": "True", "message": "pods forbidden"},
        ],
    )
    pods = [
        pod("controller-7d9f-a", labels={"app": "controller"}, owner=rs_owner),
        pod(
            "controller-7d9f-b",
            labels={"app": "controller"},
            owner=rs_owner,
            ready=False,
            containers=[{"name": "c", "ready": False, "state": {"running": {}}}],
        ),
        pod("other-1", labels={"app": "controller"}, owner={"kind": "ReplicaSet", "name": "other-1"}, ready=False),
        pod("nolabel", labels={"app": "x"}, owner=rs_owner, ready=False),
    ]
    events = [
        {
            "type": "Warning",
            "reason": "FailedCreate",
            "message": "forbidden: PodSecurity",
            "metadata": {"namespace": NS},
            "involvedObject": {"kind": "ReplicaSet", "name": "controller-7d9f"},
        }
    ]
    lines = k8s_rollout_report([result("Deployment", stuck)], pods, events)
    assert "progress deadline exceeded: ReplicaSet controller-7d9f has timed out progressing." in lines[0]
    assert "replica failure: pods forbidden" in lines[0]
    assert "1 of 2 replicas available" in lines[0]
    assert lines[1].endswith("container c running but not ready (readiness probe failing)")
    assert lines[2] == "  event FailedCreate: forbidden: PodSecurity"
    assert len(lines) == 3
    assert k8s_rollout_report([result("Deployment", deploy())], []) == []


def test_statefulset():
    sts = {
        "metadata": {"name": "s", "namespace": NS, "uid": "s", "generation": 1},
        "spec": {"replicas": 2},
        "status": {
            "observedGeneration": 1,
            "readyReplicas": 1,
            "updatedReplicas": 2,
            "updateRevision": "s-2",
            "currentRevision": "s-1",
        },
    }
    problems = object_problems("StatefulSet", sts)
    assert problems == ["1 of 2 replicas ready (updated 2)", "update to revision s-2 in progress"]


def test_ready_object_with_unready_pod_still_reported():
    pods = [
        pod(
            "kube-multus-ds-a",
            ready=False,
            conditions=[
                {"type": "Ready", "status": "False", "reason": "ContainersNotReady", "message": "containers not ready"}
            ],
        )
    ]
    lines = k8s_rollout_report([result("DaemonSet", ds())], pods)
    assert lines[0].endswith("pods not ready")
    assert lines[1].endswith("condition Ready=False (ContainersNotReady: containers not ready)")


@pytest.mark.parametrize(
    ("p", "reason"),
    [
        (pod("p", ready=False, deletionTimestamp="2025-01-01T00:00:00Z"), "terminating"),
        (
            pod(
                "p",
                ready=False,
                init=[{"name": "install", "ready": False, "state": {"waiting": {"reason": "ImagePullBackOff"}}}],
            ),
            "init container install waiting: ImagePullBackOff",
        ),
        (
            pod("p", ready=False, init=[{"name": "install", "ready": False, "state": {"running": {}}}]),
            "init container install still running",
        ),
        (
            pod(
                "p",
                ready=False,
                containers=[
                    {
                        "name": "m",
                        "ready": False,
                        "restartCount": 1,
                        "state": {
                            "terminated": {"reason": "Error", "exitCode": 1, "message": "cannot read kubeconfig"}
                        },
                    }
                ],
            ),
            "container m terminated: Error (exit code 1): cannot read kubeconfig (restarts 1)",
        ),
        (pod("p", ready=False, conditions=[]), "phase Running"),
        ({"metadata": {"name": "p"}, "status": {"phase": "Failed", "reason": "Evicted"}}, "phase Failed (Evicted)"),
        (pod("p", ready=False, conditions=[{"type": "Initialized", "status": "False"}]), "condition Initialized=False"),
    ],
)
def test_pod_reasons(p, reason):
    assert pod_reason(p) == reason


def test_bad_input():
    with pytest.raises(AnsibleFilterError, match="loop results"):
        k8s_rollout_report({"results": []})
    with pytest.raises(AnsibleFilterError, match="unsupported kind"):
        k8s_rollout_report([result("ReplicaSet", ds())])


def test_pod_warning_event_appended():
    p = pod("kube-multus-ds-a", ready=False, uid="pod-uid", conditions=[{"type": "Ready", "status": "False"}])
    events = [
        {
            "type": "Warning",
            "reason": "NodeNotReady",
            "message": "Node is not ready",
            "metadata": {"namespace": NS},
            "involvedObject": {"kind": "Pod", "uid": "pod-uid"},
        },
        {
            "type": "Warning",
            "reason": "Other",
            "message": "another pod",
            "metadata": {"namespace": NS},
            "involvedObject": {"kind": "Pod", "uid": "x"},
        },
        {
            "type": "Warning",
            "reason": "ByName",
            "message": "by name",
            "metadata": {"namespace": NS},
            "involvedObject": {"kind": "Pod", "name": "kube-multus-ds-a"},
        },
    ]
    lines = k8s_rollout_report([result("DaemonSet", ds(ready=2, available=2))], [p], events)
    assert lines[1].endswith("condition Ready=False (last event NodeNotReady: Node is not ready)")
    del p["metadata"]["uid"]
    lines = k8s_rollout_report([result("DaemonSet", ds(ready=2, available=2))], [p], events)
    assert lines[1].endswith("(last event ByName: by name)")


def test_odd_shapes_are_tolerated():
    # a pod whose status is not a mapping, and a Warning event about another kind of object
    odd = pod("kube-multus-ds-z", ready=False, uid="u")
    odd["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    odd["status"]["containerStatuses"] = "garbage"
    events = [
        {
            "type": "Warning",
            "reason": "X",
            "message": "node",
            "metadata": {"namespace": NS},
            "involvedObject": {"kind": "Node", "uid": "u"},
        }
    ]
    lines = k8s_rollout_report([result("DaemonSet", ds(ready=2, available=2))], [odd], events)
    assert "last event" not in lines[1]
    assert lines[1].endswith("condition Ready=False")
    elsewhere = pod("kube-multus-ds-y", ready=False)
    elsewhere["metadata"]["namespace"] = "other"
    assert k8s_rollout_report([result("DaemonSet", ds())], [elsewhere]) == []
    assert object_problems("DaemonSet", {"metadata": "x", "status": {"desiredNumberScheduled": 0}}) == []
