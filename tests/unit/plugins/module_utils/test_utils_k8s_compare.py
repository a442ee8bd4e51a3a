# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What k8s_apply counts as a difference between a definition and the live object."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ansible_collections.rdmaops.fabric.plugins.module_utils._k8s_compare import (
    definition_digest,
    differences,
    project,
    quantity,
)

DS = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": {"name": "dp", "namespace": "kube-system", "labels": {"app": "dp"}},
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {"name": "dp", "image": "r/dp:1.0", "resources": {"requests": {"cpu": "0.1", "memory": "64Mi"}}}
                ],
                "volumes": [{"name": "v", "emptyDir": {}}],
            }
        }
    },
}


def live_of(definition):
    """The definition as the API server returns it: defaults, status and normalised quantities."""
    import copy

    live = copy.deepcopy(definition)
    live["metadata"].update(uid="u1", resourceVersion="7", managedFields=[{"manager": "rdmaops.fabric"}])
    container = live["spec"]["template"]["spec"]["containers"][0]
    container.update(imagePullPolicy="IfNotPresent", terminationMessagePath="/dev/termination-log")
    container["resources"]["requests"]["cpu"] = "100m"
    live["spec"]["revisionHistoryLimit"] = 10
    live["status"] = {"numberReady": 3}
    return live


def test_defaults_status_and_canonical_quantities_are_no_difference():
    assert differences(DS, live_of(DS)) == []


def test_a_changed_field_is_reported_by_its_path():
    live = live_of(DS)
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "r/dp:0.9"
    assert differences(DS, live) == ["spec.template.spec.containers[0].image"]


def test_a_missing_field_and_a_label_change_are_differences():
    live = live_of(DS)
    del live["spec"]["template"]["spec"]["volumes"]
    live["metadata"]["labels"]["app"] = "other"
    assert differences(DS, live) == ["metadata.labels.app", "spec.template.spec.volumes"]


def test_list_length_counts():
    live = live_of(DS)
    live["spec"]["template"]["spec"]["volumes"].append({"name": "extra", "emptyDir": {}})
    assert differences(DS, live) == ["spec.template.spec.volumes"]


@pytest.mark.parametrize(
    ("desired", "live", "same"),
    [
        ({"a": None}, {}, True),  # null in a definition: nothing wanted
        ({"a": {}}, {}, True),  # empty mapping the server drops
        ({"a": []}, {"a": None}, True),
        ({"a": {"b": 1}}, {"a": "x"}, False),
        ({"a": [1]}, {"a": "x"}, False),
        ({"port": "8080"}, {"port": 8080}, True),  # int-or-string
        ({"maxUnavailable": 1}, {"maxUnavailable": "1"}, True),
        ({"hostNetwork": True}, {"hostNetwork": "true"}, False),
        ({"hostNetwork": True}, {"hostNetwork": True}, True),
        ({"ratio": 0.5}, {"ratio": 0.25}, False),
        (
            {"spec": {"resources": {"limits": {"memory": "1Gi"}}}},
            {"spec": {"resources": {"limits": {"memory": "1024Mi"}}}},
            True,
        ),
        ({"spec": {"resources": {"limits": {"cpu": 1}}}}, {"spec": {"resources": {"limits": {"cpu": "1000m"}}}}, True),
        ({"spec": {"resources": {"limits": {"cpu": "2"}}}}, {"spec": {"resources": {"limits": {"cpu": "1"}}}}, False),
        (
            {"spec": {"resources": {"limits": {"cpu": "lots"}}}},
            {"spec": {"resources": {"limits": {"cpu": "1"}}}},
            False,
        ),
        ({"data": {"cpu": "0.1"}}, {"data": {"cpu": "100m"}}, False),  # only under resources
    ],
)
def test_scalar_and_empty_rules(desired, live, same):
    assert (differences(desired, live) == []) is same


def test_quantity():
    assert quantity("100m") == Decimal("0.1")
    assert quantity("64Mi") == 64 * 2**20
    assert quantity("2") == 2
    assert quantity("1e3") is None
    assert quantity("..") is None


def test_project_keeps_only_the_fields_of_the_definition():
    live = live_of(DS)
    before = project(DS, live)
    assert "status" not in before and "uid" not in before["metadata"]
    assert before["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "100m"
    assert project({"a": [1]}, {"a": [1, 2]}) == {"a": [1, 2]}


def test_digest_is_stable_and_sensitive():
    reordered = {"spec": DS["spec"], "metadata": DS["metadata"], "kind": "DaemonSet", "apiVersion": "apps/v1"}
    assert definition_digest(DS) == definition_digest(reordered)
    assert len(definition_digest(DS)) == 20
    assert definition_digest(DS) != definition_digest({**DS, "kind": "Deployment"})
