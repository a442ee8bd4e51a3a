"""rdmaops.fabric.k8s_apply against the lab's real kube-apiserver.

The module is run as Ansible runs it (ad-hoc, through the collection). Write requests are
counted with kube-apiserver's own apiserver_request_total, per resource, and objects are read
back with the Kubernetes client: a re-run with the same definitions sends no write, drift and a
removed field are written back, CRDs are Established when the module returns, `absent` deletes
only labelled objects, and a missing namespace fails before any write.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml
from _roles import REPO, VENV_BIN
from kubernetes import client
from kubernetes.client.rest import ApiException
from test_smoke import raw_get

METRIC = re.compile(r"^apiserver_request_total\{([^}]*)\} ([0-9.e+]+)$")
WRITE_VERBS = {"POST", "PUT", "PATCH", "APPLY", "DELETE"}


def k8s_apply(kubeconfig: str, args: dict, check: bool = False) -> dict:
    """Run the module ad hoc on localhost; return its result."""
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(REPO / ".lab" / "collections"),
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
    )
    cmd = [
        str(VENV_BIN / "ansible"),
        "localhost",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={VENV_BIN / 'python'}",
        "-m",
        "rdmaops.fabric.k8s_apply",
        "-a",
        json.dumps({"kubeconfig": kubeconfig, **args}),
    ] + (["--check", "--diff"] if check else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=180)
    return json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]


def writes(api: client.ApiClient, resources: set[str]) -> float:
    status, text = raw_get(api, "/metrics")
    assert status == 200
    total = 0.0
    for line in text.splitlines():
        m = METRIC.match(line)
        if m:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
            if (
                labels.get("verb") in WRITE_VERBS
                and labels.get("resource") in resources
                and not labels.get("subresource")
            ):
                total += float(m.group(2))
    return total


@pytest.fixture
def ns(k8s_client):
    core = client.CoreV1Api(k8s_client)
    name = f"apply-{uuid.uuid4().hex[:8]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    core.delete_namespace(name)


def objects(ns: str, crd_group: str) -> list[dict]:
    labels = {"app.kubernetes.io/managed-by": "rdmaops.fabric"}
    return [
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": f"widgets.{crd_group}", "labels": labels},
            "spec": {
                "group": crd_group,
                "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
                "scope": "Namespaced",
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                    }
                ],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cfg", "namespace": ns, "labels": labels},
            "data": {"a": "1"},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "ds", "namespace": ns, "labels": {**labels, "tier": "node"}},
            "spec": {
                "selector": {"matchLabels": {"app": "ds"}},
                "template": {
                    "metadata": {"labels": {"app": "ds"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "c",
                                "image": "registry.k8s.io/pause:3.10",
                                "resources": {"requests": {"cpu": "0.05", "memory": "16Mi"}},
                            }
                        ],
                        "tolerations": [{"operator": "Exists"}],
                    },
                },
            },
        },
    ]


def test_rerun_writes_nothing_and_drift_is_repaired(k8s_kubeconfig, k8s_client, ns):
    group = f"{ns}.example.com"
    defs = objects(ns, group)
    required = [{"name": ns, "variable": "test_namespace"}]
    first = k8s_apply(k8s_kubeconfig, {"definitions": defs, "required_namespaces": required})
    assert [o["action"] for o in first["objects"]] == ["created"] * 3, first
    assert first["writes"] == 3
    ext = client.ApiextensionsV1Api(k8s_client)
    crd = ext.read_custom_resource_definition(f"widgets.{group}")
    assert any(c.type == "Established" and c.status == "True" for c in crd.status.conditions)

    apps = client.AppsV1Api(k8s_client)
    version = apps.read_namespaced_daemon_set("ds", ns).metadata.resource_version
    kinds = {"configmaps", "daemonsets", "customresourcedefinitions"}
    before = writes(k8s_client, kinds)
    again = k8s_apply(k8s_kubeconfig, {"definitions": defs, "required_namespaces": required})
    assert again["changed"] is False and again["writes"] == 0
    assert [o["action"] for o in again["objects"]] == ["unchanged"] * 3
    assert writes(k8s_client, kinds) == before  # the API server saw no write request
    assert apps.read_namespaced_daemon_set("ds", ns).metadata.resource_version == version

    # Someone edits the image: the next run names the field and writes it back.
    apps.patch_namespaced_daemon_set(
        "ds", ns, {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x/y:1"}]}}}}
    )
    checked = k8s_apply(k8s_kubeconfig, {"definitions": defs}, check=True)
    assert checked["objects"][2]["action"] == "updated" and checked["writes"] == 0
    assert apps.read_namespaced_daemon_set("ds", ns).spec.template.spec.containers[0].image == "x/y:1"
    repaired = k8s_apply(k8s_kubeconfig, {"definitions": defs})
    assert repaired["objects"][2] == {
        **repaired["objects"][2],
        "action": "updated",
        "differences": ["spec.template.spec.containers[0].image"],
    }
    assert repaired["writes"] == 1
    assert (
        apps.read_namespaced_daemon_set("ds", ns).spec.template.spec.containers[0].image == "registry.k8s.io/pause:3.10"
    )

    # A label dropped from the definition: the digest differs, the apply removes the label.
    fewer = copy.deepcopy(defs)
    del fewer[2]["metadata"]["labels"]["tier"]
    dropped = k8s_apply(k8s_kubeconfig, {"definitions": fewer})
    assert dropped["objects"][2]["differences"] == ["metadata.annotations.rdmaops.fabric/applied-digest"]
    assert "tier" not in apps.read_namespaced_daemon_set("ds", ns).metadata.labels

    # Check mode sends a dry run: the API server refuses what a real run could not do.
    bad = copy.deepcopy(fewer)
    bad[2]["spec"]["selector"]["matchLabels"]["app"] = "other"
    bad[2]["spec"]["template"]["metadata"]["labels"]["app"] = "other"
    refused = k8s_apply(k8s_kubeconfig, {"definitions": bad}, check=True)
    assert refused["failed"] is True and "field is immutable" in refused["msg"], refused
    assert apps.read_namespaced_daemon_set("ds", ns).spec.selector.match_labels == {"app": "ds"}

    # absent: ours is deleted, a same-named object without our label is left alone.
    core = client.CoreV1Api(k8s_client)
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="theirs"), data={}))
    gone = k8s_apply(
        k8s_kubeconfig,
        {
            "definitions": [],
            "absent": [
                {"api_version": "v1", "kind": "ConfigMap", "name": n, "namespace": ns}
                for n in ("cfg", "theirs", "never")
            ]
            + [
                {
                    "api_version": "apiextensions.k8s.io/v1",
                    "kind": "CustomResourceDefinition",
                    "name": f"widgets.{group}",
                }
            ],
            "absent_labels": {"app.kubernetes.io/managed-by": "rdmaops.fabric"},
        },
    )
    assert [o["action"] for o in gone["objects"]] == ["deleted", "kept", "not present", "deleted"]
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("cfg", ns)
    assert err.value.status == 404
    core.read_namespaced_config_map("theirs", ns)


def test_missing_namespace_fails_before_any_write(k8s_kubeconfig, k8s_client, ns):
    defs = objects(ns, f"{ns}.example.com")[1:2]
    result = k8s_apply(
        k8s_kubeconfig,
        {"definitions": defs, "required_namespaces": [{"name": "no-such-ns", "variable": "multus_namespace"}]},
    )
    assert result["failed"] is True
    assert (
        result["msg"] == "multus_namespace: namespace no-such-ns does not exist; create it first (nothing was written)"
    )
    with pytest.raises(ApiException):
        client.CoreV1Api(k8s_client).read_namespaced_config_map("cfg", ns)


def test_api_down_is_one_line(tmp_path, k8s_kubeconfig):
    config = yaml.safe_load(Path(k8s_kubeconfig).read_text())
    config["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:9"
    path = tmp_path / "down.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    result = k8s_apply(str(path), {"definitions": objects("x", "x.example.com")[1:2]})
    assert result["failed"] is True
    assert result["msg"].startswith("Kubernetes API unreachable or kubeconfig unusable:")
