# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rdmaops.fabric.k8s_apply's decisions against an in-memory stand-in of the dynamic client.

What the real API server does with the requests (0 writes on a re-run, drift repaired, CRDs
Established) is tested against a real kube-apiserver in tests/cluster/test_k8s_apply.py.
"""

from __future__ import annotations

import copy
import json

import pytest
from ansible_collections.rdmaops.fabric.plugins.module_utils._k8s_compare import definition_digest
from ansible_collections.rdmaops.fabric.plugins.modules import k8s_apply
from kubernetes.dynamic.exceptions import DynamicApiError, NotFoundError, ResourceNotFoundError
from module_harness import run_module

DIGEST = "rdmaops.fabric/applied-digest"
NS = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}
CM = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "cfg", "namespace": "kube-system"},
    "data": {"a": "1"},
}
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "things.example.com"},
    "spec": {"group": "example.com"},
}


def api_error(cls, status, message):
    """An exception of the client's class carrying what the API server sends (status, JSON body)."""
    err = Exception.__new__(cls)
    Exception.__init__(err, message)
    err.status, err.body = status, json.dumps({"message": message})
    return err


class FakeInstance:
    def __init__(self, obj):
        self._obj = obj

    def to_dict(self):
        return copy.deepcopy(self._obj)


class FakeResource:
    def __init__(self, api, api_version, kind):
        self.api, self.key = api, (api_version, kind)

    def get(self, name, namespace=None):
        obj = self.api.objects.get((*self.key, namespace or "", name))
        if obj is None:
            raise api_error(NotFoundError, 404, "not found")
        return FakeInstance(obj)

    def server_side_apply(self, body, name, namespace, field_manager, force_conflicts, dry_run=None):
        self.api.requests.append(("dry-run" if dry_run else "apply", self.key[1], name, field_manager, force_conflicts))
        if self.api.reject:
            raise api_error(DynamicApiError, 422, self.api.reject)
        if dry_run:
            return
        live = copy.deepcopy(body)
        live["metadata"]["uid"] = "uid-" + name
        if self.key[1] == "CustomResourceDefinition" and self.api.crds_established:
            live["status"] = {"conditions": [{"type": "Established", "status": "True"}]}
        self.api.objects[(*self.key, namespace or "", name)] = live

    def delete(self, name, namespace=None):
        self.api.requests.append(("delete", self.key[1], name))
        del self.api.objects[(*self.key, namespace or "", name)]


class FakeResources:
    def __init__(self, api):
        self.api = api

    def get(self, api_version, kind):
        if (api_version, kind) in self.api.unserved:
            raise ResourceNotFoundError("no " + kind)
        return FakeResource(self.api, api_version, kind)

    def invalidate_cache(self):
        self.api.invalidated += 1


class FakeApi:
    """Objects by (apiVersion, kind, namespace, name); every write request is recorded."""

    def __init__(self, *objects):
        self.objects = {}
        self.requests = []
        self.unserved = set()
        self.reject = None
        self.invalidated = 0
        self.crds_established = True
        for obj in objects:
            self.put(obj)

    def put(self, obj):
        meta = obj["metadata"]
        self.objects[(obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta["name"])] = copy.deepcopy(obj)

    def writes(self):
        return [r for r in self.requests if r[0] in ("apply", "delete")]


@pytest.fixture
def api(monkeypatch):
    fake = FakeApi(NS)
    monkeypatch.setattr(k8s_apply.kube_config, "new_client_from_config", lambda config_file, context: object())
    monkeypatch.setattr(k8s_apply, "DynamicClient", lambda client: type("C", (), {"resources": FakeResources(fake)})())
    monkeypatch.setattr(k8s_apply.time, "sleep", lambda s: None)
    return fake


def applied(obj):
    """`obj` as the module applies it: with the digest annotation."""
    out = copy.deepcopy(obj)
    out["metadata"].setdefault("annotations", {})[DIGEST] = definition_digest(obj)
    return out


def run(args, **kw):
    return run_module(k8s_apply.main, args, **kw)


def test_creates_a_missing_object_with_the_digest(api):
    result = run({"definitions": [CM], "required_namespaces": [{"name": "kube-system", "variable": "x_namespace"}]})
    assert result["changed"] is True and result["writes"] == 1
    assert result["objects"] == [
        {
            "api_version": "v1",
            "kind": "ConfigMap",
            "namespace": "kube-system",
            "name": "cfg",
            "action": "created",
            "differences": [],
        }
    ]
    assert api.writes() == [("apply", "ConfigMap", "cfg", "rdmaops.fabric", True)]
    stored = api.objects[("v1", "ConfigMap", "kube-system", "cfg")]
    assert stored["metadata"]["annotations"][DIGEST] == definition_digest(CM)


def test_an_unchanged_object_gets_no_write(api):
    live = applied(CM)
    live["metadata"]["resourceVersion"] = "5"
    api.put(live)
    result = run({"definitions": [CM]})
    assert result["changed"] is False and result["writes"] == 0 and api.writes() == []
    assert result["objects"][0]["action"] == "unchanged"


def test_drift_is_written_back_and_named(api):
    drifted = applied(CM)
    drifted["data"]["a"] = "2"
    api.put(drifted)
    result = run({"definitions": [CM], "field_manager": "me", "force_conflicts": False})
    assert result["objects"][0]["action"] == "updated"
    assert result["objects"][0]["differences"] == ["data.a"]
    assert api.writes() == [("apply", "ConfigMap", "cfg", "me", False)]


def test_a_field_removed_from_the_definition_changes_the_digest(api):
    old = {**CM, "data": {"a": "1", "b": "2"}}
    api.put(applied(old))
    result = run({"definitions": [CM]})
    assert result["objects"][0]["differences"] == [f"metadata.annotations.{DIGEST}"]


def test_without_digest_annotation_only_fields_count(api):
    api.put(CM)
    result = run({"definitions": [CM], "digest_annotation": ""})
    assert result["changed"] is False and api.writes() == []


def test_check_mode_reports_and_diffs_without_writing(api):
    drifted = applied(CM)
    drifted["data"]["a"] = "2"
    api.put(drifted)
    new = {**CM, "metadata": {"name": "new", "namespace": "kube-system"}}
    result = run({"definitions": [CM, new]}, check_mode=True, diff=True)
    assert [o["action"] for o in result["objects"]] == ["updated", "created"]
    assert result["changed"] is True and result["writes"] == 0 and api.writes() == []
    # validated by the API server, not stored
    assert [r[:3] for r in api.requests] == [("dry-run", "ConfigMap", "cfg"), ("dry-run", "ConfigMap", "new")]
    first, second = result["diff"]
    assert first["before_header"] == "ConfigMap kube-system/cfg"
    assert json.loads(first["before"])["data"] == {"a": "2"}
    assert json.loads(first["after"])["data"] == {"a": "1"}
    assert second["before"] == ""


def test_a_missing_namespace_fails_before_any_write(api):
    result = run(
        {"definitions": [CM], "required_namespaces": [{"name": "nope", "variable": "multus_namespace"}]},
        expect_fail=True,
    )
    assert result["msg"].startswith("multus_namespace: namespace nope does not exist")
    assert api.writes() == []


def test_a_definition_without_a_name_fails(api):
    result = run({"definitions": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}]}, expect_fail=True)
    assert "needs apiVersion, kind and metadata.name" in result["msg"]


def test_the_api_servers_message_is_the_error(api):
    api.reject = 'DaemonSet.apps "x" is invalid: spec.selector: field is immutable'
    result = run({"definitions": [CM]}, expect_fail=True)
    assert result["msg"] == "ConfigMap kube-system/cfg: " + api.reject
    assert result["writes"] == 0
    # check mode fails the same way: the dry run is validated by the API server
    result = run({"definitions": [CM]}, check_mode=True, expect_fail=True)
    assert result["msg"] == "ConfigMap kube-system/cfg: " + api.reject


def test_an_unserved_kind_re_reads_discovery_then_fails(api):
    api.unserved.add(("example.com/v1", "Thing"))
    thing = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}}
    result = run({"definitions": [thing]}, expect_fail=True)
    assert "does not serve example.com/v1 Thing" in result["msg"]
    assert api.invalidated == 1
    # In check mode it is what a run would create (its CRD may come from an earlier definition).
    result = run({"definitions": [thing]}, check_mode=True)
    assert result["objects"][0]["action"] == "created"


def test_crds_are_waited_for(api):
    result = run({"definitions": [CRD]})
    assert result["objects"][0]["action"] == "created"
    api.crds_established = False
    api.put(applied(CRD))
    result = run({"definitions": [CRD], "wait_timeout": 0}, expect_fail=True)
    assert result["msg"] == "CustomResourceDefinition things.example.com is not Established after 0 s"


def test_absent_deletes_only_labelled_objects(api):
    ours = {**CM, "metadata": {"name": "ours", "namespace": "kube-system", "labels": {"managed-by": "us"}}}
    theirs = {**CM, "metadata": {"name": "theirs", "namespace": "kube-system", "labels": {"managed-by": "them"}}}
    api.put(ours)
    api.put(theirs)
    absent = [
        {"api_version": "v1", "kind": "ConfigMap", "name": n, "namespace": "kube-system"}
        for n in ("ours", "theirs", "gone")
    ]
    args = {"definitions": [], "absent": absent, "absent_labels": {"managed-by": "us"}}
    result = run(args, check_mode=True, diff=True)
    assert [o["action"] for o in result["objects"]] == ["deleted", "kept", "not present"]
    assert api.writes() == [] and result["diff"][0]["after"] == ""
    result = run(args)
    assert result["changed"] is True and result["writes"] == 1
    assert api.writes() == [("delete", "ConfigMap", "ours")]
    assert ("v1", "ConfigMap", "kube-system", "theirs") in api.objects


def test_unreachable_api_is_one_line(api, monkeypatch):
    def refuse(config_file, context):
        raise OSError("Connection refused")

    monkeypatch.setattr(k8s_apply.kube_config, "new_client_from_config", refuse)
    result = run({"definitions": [CM]}, expect_fail=True)
    assert result["msg"] == "Kubernetes API unreachable or kubeconfig unusable: Connection refused"


def test_kubeconfig_and_context_from_the_kubernetes_core_environment(api, monkeypatch):
    seen = []
    monkeypatch.setattr(
        k8s_apply.kube_config,
        "new_client_from_config",
        lambda config_file, context: seen.append((config_file, context)),
    )
    monkeypatch.setenv("K8S_AUTH_KUBECONFIG", "/etc/kubernetes/admin.conf")
    monkeypatch.setenv("K8S_AUTH_CONTEXT", "lab")
    run({"definitions": [NS]})
    assert seen == [("/etc/kubernetes/admin.conf", "lab")]


def test_in_cluster_service_account_without_a_kubeconfig(api, monkeypatch):
    def no_kubeconfig(config_file, context):
        raise k8s_apply.kube_config.ConfigException("Invalid kube-config file. No configuration found.")

    loaded = []
    monkeypatch.setattr(k8s_apply.kube_config, "new_client_from_config", no_kubeconfig)
    monkeypatch.setattr(k8s_apply.kube_config, "load_incluster_config", lambda: loaded.append(True))
    monkeypatch.delenv("K8S_AUTH_KUBECONFIG", raising=False)
    assert run({"definitions": [NS]})["objects"][0]["name"] == "kube-system"
    assert loaded == [True]
    # A kubeconfig that was asked for and cannot be read is an error, not the in-cluster account.
    result = run({"definitions": [NS], "kubeconfig": "/nonexistent"}, expect_fail=True)
    assert result["msg"].startswith("Kubernetes API unreachable or kubeconfig unusable: Invalid kube-config file")
