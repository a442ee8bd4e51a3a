#!/usr/bin/python

# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: k8s_apply
short_description: Server-side apply a list of Kubernetes objects, writing only those that differ
version_added: 0.1.0
author:
  - rdmaops.fabric maintainers (@rdmaops)
description:
  - Reads every object of O(definitions) and sends a server-side apply only for the objects that
    are missing or whose live state differs from the definition, so a run with unchanged inputs
    makes no API write at all (C(kubernetes.core.k8s) with C(apply) sends one PATCH per object
    on every run).
  - An object differs when a field of the definition has another value in the live object (fields
    the API server adds, such as defaults and status, are ignored; lists must have the same
    length), or when the digest annotation O(digest_annotation) does not match the definition,
    which catches a field removed from the definition.
  - One module run for the whole list, so one Python start and one API discovery instead of one per
    object.
  - Before any write, checks that the namespaces of O(required_namespaces) exist and fails naming
    the variable that chose a missing one.
  - After the writes, waits until every CustomResourceDefinition of the list is Established.
extends_documentation_fragment:
  - rdmaops.fabric._attributes
options:
  definitions:
    description:
      - The objects, each a complete manifest with C(apiVersion), C(kind) and C(metadata.name)
        (and C(metadata.namespace) for a namespaced kind). Applied in list order.
    type: list
    elements: dict
    required: true
  kubeconfig:
    description:
      - Path to the kubeconfig file. Without it, E(K8S_AUTH_KUBECONFIG), E(KUBECONFIG) or
        C(~/.kube/config) is used, then the in-cluster service account.
    type: path
  context:
    description: The kubeconfig context to use. Without it, E(K8S_AUTH_CONTEXT), then the current context.
    type: str
  field_manager:
    description: The field manager of the server-side apply.
    type: str
    default: rdmaops.fabric
  force_conflicts:
    description: Take over fields another field manager owns (C(force=true) of the apply).
    type: bool
    default: true
  digest_annotation:
    description:
      - Annotation that carries a digest of the applied definition. Empty to not set one (then a
        field removed from a definition is only removed by a run that writes the object anyway).
    type: str
    default: rdmaops.fabric/applied-digest
  required_namespaces:
    description:
      - Namespaces that must exist before anything is written, each with the variable that chose it.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The namespace.
        type: str
        required: true
      variable:
        description: The variable the error message names.
        type: str
        required: true
  wait_timeout:
    description: Seconds to wait for each CustomResourceDefinition of the list to be Established.
    type: int
    default: 60
  absent:
    description:
      - Objects to delete after the writes, in list order, when they exist and carry every label of
        O(absent_labels) (an object of the same name that someone else created is left alone).
    type: list
    elements: dict
    default: []
    suboptions:
      api_version:
        description: The C(apiVersion) of the object.
        type: str
        required: true
      kind:
        description: The kind of the object.
        type: str
        required: true
      name:
        description: The name of the object.
        type: str
        required: true
      namespace:
        description: The namespace of a namespaced object.
        type: str
  absent_labels:
    description: Labels an object of O(absent) must carry to be deleted.
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
    details:
      - Reads the objects and reports which would be created or updated. Those are sent as a
        server-side dry-run apply, so the API server validates them (an invalid object fails as it
        would in a real run) and stores nothing. Does not wait.
  diff_mode:
    support: full
    details:
      - For each object to create or update, the live values of the fields of the definition
        (before) and the definition (after), as JSON.
requirements:
  - kubernetes (the Python client, also needed by kubernetes.core)
notes:
  - Objects of a kind whose CustomResourceDefinition is not served yet count as to be created in
    check mode; outside check mode they fail with the API's message.
"""

EXAMPLES = r"""
- name: Apply the device plugin's objects (no API write when nothing differs)
  rdmaops.fabric.k8s_apply:
    kubeconfig: /etc/kubernetes/admin.conf
    definitions:
      - "{{ lookup('ansible.builtin.template', 'serviceaccount.yaml.j2') | from_yaml }}"
      - "{{ lookup('ansible.builtin.template', 'daemonset.yaml.j2') | from_yaml }}"
    required_namespaces:
      - {name: "{{ my_namespace }}", variable: my_namespace}
  register: applied

- name: Show what was written
  ansible.builtin.debug:
    msg: "{{ applied.objects | rejectattr('action', 'eq', 'unchanged') | map(attribute='name') }}"
"""

RETURN = r"""
objects:
  description: One entry per definition, in list order.
  returned: always
  type: list
  elements: dict
  contains:
    api_version:
      description: The C(apiVersion) of the object.
      type: str
    kind:
      description: The kind of the object.
      type: str
    namespace:
      description: The namespace, empty for a cluster-scoped object.
      type: str
    name:
      description: The name of the object.
      type: str
    action:
      description:
        - V(created), V(updated) or V(unchanged) for O(definitions); V(deleted), V(not present) or
          V(kept) (exists without the labels of O(absent_labels)) for O(absent). In check mode, what
          a run would do.
      type: str
    differences:
      description: The paths of the fields that differed (at most 10), or C(metadata.annotations) for the digest.
      type: list
      elements: str
  sample:
    - {api_version: apps/v1, kind: DaemonSet, namespace: kube-system, name: kube-multus-ds,
       action: updated, differences: ["spec.template.spec.containers[0].image"]}
writes:
  description: The number of apply and delete requests sent (0 in check mode).
  returned: always
  type: int
  sample: 0
"""

import json
import time
import traceback

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

try:
    from kubernetes import config as kube_config
    from kubernetes.dynamic import DynamicClient
    from kubernetes.dynamic.exceptions import DynamicApiError, NotFoundError, ResourceNotFoundError
    from urllib3.exceptions import HTTPError as TransportError
except ImportError:
    KUBERNETES_IMPORT_ERROR = traceback.format_exc()
else:
    KUBERNETES_IMPORT_ERROR = None

from ansible_collections.rdmaops.fabric.plugins.module_utils._k8s_compare import (
    definition_digest,
    differences,
    project,
)

MAX_DIFFERENCES = 10


def object_id(definition):
    meta = definition.get("metadata") or {}
    return {
        "api_version": definition.get("apiVersion", ""),
        "kind": definition.get("kind", ""),
        "namespace": meta.get("namespace") or "",
        "name": meta.get("name", ""),
    }


def label(oid):
    return "{kind} {ns}{name}".format(
        kind=oid["kind"], ns=oid["namespace"] + "/" if oid["namespace"] else "", name=oid["name"]
    )


def is_crd(oid):
    return oid["kind"] == "CustomResourceDefinition" and oid["api_version"].startswith("apiextensions.k8s.io/")


def established(crd):
    conditions = ((crd or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def api_message(exc):
    """The API server's own message of a failed request."""
    try:
        return json.loads(exc.body)["message"]
    except Exception:  # pylint: disable=broad-except
        return str(getattr(exc, "summary", lambda: exc)())


class Applier:
    def __init__(self, module):
        self.module = module
        params = module.params
        try:
            api_client = kube_config.new_client_from_config(config_file=params["kubeconfig"], context=params["context"])
        except kube_config.ConfigException:
            if params["kubeconfig"] or params["context"]:
                raise
            kube_config.load_incluster_config()
            from kubernetes.client import ApiClient  # pylint: disable=import-outside-toplevel

            api_client = ApiClient()
        self.client = DynamicClient(api_client)
        self.diffs = []

    def resource(self, oid):
        try:
            return self.client.resources.get(api_version=oid["api_version"], kind=oid["kind"])
        except ResourceNotFoundError:
            # A CRD created earlier in this run: discovery has to be read again.
            self.client.resources.invalidate_cache()
            try:
                return self.client.resources.get(api_version=oid["api_version"], kind=oid["kind"])
            except ResourceNotFoundError:
                return None

    def lookup(self, oid):
        """(resource, live object or None); resource is None when the kind is not served."""
        resource = self.resource(oid)
        return resource, (self.read(resource, oid) if resource is not None else None)

    def add_diff(self, oid, before, after):
        if self.module._diff:
            self.diffs.append(
                {"before_header": label(oid), "after_header": label(oid), "before": before, "after": after}
            )

    def read(self, resource, oid):
        try:
            return resource.get(name=oid["name"], namespace=oid["namespace"] or None).to_dict()
        except NotFoundError:
            return None

    def check_namespaces(self):
        missing = []
        ns_resource = self.client.resources.get(api_version="v1", kind="Namespace")
        for entry in self.module.params["required_namespaces"]:
            if self.read(ns_resource, {"name": entry["name"], "namespace": ""}) is None:
                missing.append(
                    "{var}: namespace {name} does not exist; create it first (nothing was written)".format(
                        var=entry["variable"], name=entry["name"]
                    )
                )
        if missing:
            self.module.fail_json(msg="; ".join(missing), objects=[], writes=0)

    def wait_established(self, name, deadline):
        resource = self.client.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
        while True:
            if established(self.read(resource, {"name": name, "namespace": ""})):
                return
            if time.monotonic() >= deadline:
                self.module.fail_json(
                    msg="CustomResourceDefinition {} is not Established after {} s".format(
                        name, self.module.params["wait_timeout"]
                    )
                )
            time.sleep(1)

    def remove(self, entry, results):
        """Delete one object of `absent` if it is ours; return the number of requests sent."""
        oid = {
            "api_version": entry["api_version"],
            "kind": entry["kind"],
            "namespace": entry["namespace"] or "",
            "name": entry["name"],
        }
        resource, live = self.lookup(oid)
        labels = ((live or {}).get("metadata") or {}).get("labels") or {}
        if live is None:
            action = "not present"
        elif any(labels.get(key) != value for key, value in self.module.params["absent_labels"].items()):
            action = "kept"
        else:
            action = "deleted"
        results.append(dict(oid, action=action, differences=[]))
        if action != "deleted":
            return 0
        self.add_diff(oid, json.dumps(live, indent=2, sort_keys=True) + "\n", "")
        if self.module.check_mode:
            return 0
        try:
            resource.delete(name=oid["name"], namespace=oid["namespace"] or None)
        except NotFoundError:
            return 1
        except DynamicApiError as exc:
            self.module.fail_json(msg=f"{label(oid)}: {api_message(exc)}", objects=results)
        return 1

    def run(self):
        params = self.module.params
        check = self.module.check_mode
        self.check_namespaces()
        results, crds, writes = [], [], 0
        for definition in params["definitions"]:
            oid = object_id(definition)
            if not (oid["api_version"] and oid["kind"] and oid["name"]):
                self.module.fail_json(
                    msg=f"every definition needs apiVersion, kind and metadata.name; got {label(oid)}"
                )
            desired = definition
            if params["digest_annotation"]:
                desired = json.loads(json.dumps(definition))
                annotations = desired.setdefault("metadata", {}).setdefault("annotations", {}) or {}
                annotations[params["digest_annotation"]] = definition_digest(definition)
                desired["metadata"]["annotations"] = annotations
            resource, live = self.lookup(oid)
            found = [] if live is None else differences(desired, live)
            action = "created" if live is None else ("updated" if found else "unchanged")
            results.append(dict(oid, action=action, differences=found[:MAX_DIFFERENCES]))
            if action == "unchanged":
                if is_crd(oid) and not established(live):
                    crds.append(oid["name"])
                continue
            before = "" if live is None else json.dumps(project(desired, live), indent=2, sort_keys=True) + "\n"
            self.add_diff(oid, before, json.dumps(desired, indent=2, sort_keys=True) + "\n")
            if check and resource is None:
                continue  # its CRD comes from an earlier definition of a real run
            if resource is None:
                self.module.fail_json(
                    msg="{}: the API server does not serve {} {}".format(label(oid), oid["api_version"], oid["kind"]),
                    objects=results,
                    writes=writes,
                )
            try:
                resource.server_side_apply(
                    body=desired,
                    name=oid["name"],
                    namespace=oid["namespace"] or None,
                    field_manager=params["field_manager"],
                    force_conflicts=params["force_conflicts"],
                    # Check mode: the API server validates the object (admission, immutable fields) but stores nothing.
                    **({"dry_run": "All"} if check else {}),
                )
            except DynamicApiError as exc:
                self.module.fail_json(msg=f"{label(oid)}: {api_message(exc)}", objects=results, writes=writes)
            if check:
                continue
            writes += 1
            if is_crd(oid):
                crds.append(oid["name"])
        if not check:
            deadline = time.monotonic() + params["wait_timeout"]
            for name in crds:
                self.wait_established(name, deadline)
        for entry in params["absent"]:
            writes += self.remove(entry, results)
        changed = any(r["action"] in ("created", "updated", "deleted") for r in results)
        out = {"changed": changed, "objects": results, "writes": writes}
        if self.diffs:
            out["diff"] = self.diffs
        return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            definitions=dict(type="list", elements="dict", required=True),
            kubeconfig=dict(type="path", fallback=(env_fallback, ["K8S_AUTH_KUBECONFIG"])),
            context=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_CONTEXT"])),
            field_manager=dict(type="str", default="rdmaops.fabric"),
            force_conflicts=dict(type="bool", default=True),
            digest_annotation=dict(type="str", default="rdmaops.fabric/applied-digest"),
            required_namespaces=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(name=dict(type="str", required=True), variable=dict(type="str", required=True)),
            ),
            wait_timeout=dict(type="int", default=60),
            absent=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(
                    api_version=dict(type="str", required=True),
                    kind=dict(type="str", required=True),
                    name=dict(type="str", required=True),
                    namespace=dict(type="str"),
                ),
            ),
            absent_labels=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    if KUBERNETES_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=KUBERNETES_IMPORT_ERROR)
    try:
        result = Applier(module).run()
    except DynamicApiError as exc:
        module.fail_json(msg=f"Kubernetes API: {api_message(exc)}")
    except (kube_config.ConfigException, TransportError, OSError) as exc:
        # Connection refused, TLS and kubeconfig errors: one line instead of a traceback.
        module.fail_json(
            msg=f"Kubernetes API unreachable or kubeconfig unusable: {exc}", exception=traceback.format_exc()
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
