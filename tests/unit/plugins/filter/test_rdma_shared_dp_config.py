# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rdmaops.fabric.rdma_shared_dp_config: validation, and the published config samples."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.rdmaops.fabric.plugins.filter.rdma_shared_dp_config import (
    FilterModule,
    rdma_shared_dp_config,
)
from sample_io import sample

VALID = {"resourceName": "hca_shared_devices", "rdmaHcaMax": 1000, "selectors": {"vendors": ["15b3"]}}


def _normalise(config):
    """What the plugin reads: empty selector lists are the same as absent ones (omitempty)."""
    out = copy.deepcopy(config)
    for entry in out["configList"]:
        if "selectors" in entry:
            entry["selectors"] = {k: v for k, v in entry["selectors"].items() if v}
    return out


def _published(name):
    if name.endswith(".yaml"):
        return json.loads(yaml.safe_load(sample(name))["data"]["config.json"])
    return json.loads(sample(name))


# Every published sample our tree holds, as the plugin would read it (01 has an invalid
# resourcePrefix and is covered by test_published_prefix_sample).
SAMPLES = [
    "k8s-rdma-shared-dp-config-02.json",
    "k8s-rdma-shared-dp-config-03.json",
    "k8s-rdma-shared-dp-config-04.json",
    "k8s-rdma-shared-dp-configmap-01.yaml",
]


@pytest.mark.parametrize("name", SAMPLES)
def test_published_samples_round_trip(name):
    """Each published configList, given as rdma_shared_dp_resources, renders the same document."""
    published = _published(name)
    resources = published["configList"]
    got = rdma_shared_dp_config(copy.deepcopy(resources), published.get("periodicUpdateInterval"))
    assert got == _normalise(published)
    # and our output has the exact key set of the published format, in the plugin's types
    for entry in got["configList"]:
        assert set(entry) <= {"resourceName", "resourcePrefix", "rdmaHcaMax", "selectors", "devices"}
        assert isinstance(entry["rdmaHcaMax"], int)


def test_published_prefix_sample():
    """README sample 01 uses resourcePrefix "example_prefix": the kubelet refuses '_' in a prefix
    (an extended resource prefix is a DNS subdomain), so we refuse it; with a valid prefix the
    same document renders unchanged."""
    published = _published("k8s-rdma-shared-dp-config-01.json")
    with pytest.raises(AnsibleFilterError, match=r"rdma_shared_dp_resources\[0\]\.resourcePrefix"):
        rdma_shared_dp_config(copy.deepcopy(published["configList"]), published["periodicUpdateInterval"])
    published["configList"][0]["resourcePrefix"] = "example.com"
    got = rdma_shared_dp_config(copy.deepcopy(published["configList"]), published["periodicUpdateInterval"])
    assert got == _normalise(published)


def test_defaults_and_order():
    got = rdma_shared_dp_config(
        [dict(VALID, resourcePrefix="rdma", selectors={"linkTypes": ["infiniband"], "vendors": ["15b3"]})]
    )
    assert "periodicUpdateInterval" not in got
    assert list(got["configList"][0]) == ["resourceName", "resourcePrefix", "rdmaHcaMax", "selectors"]
    assert list(got["configList"][0]["selectors"]) == ["vendors", "linkTypes"]


def test_accepts_strings_of_digits_and_zero_interval():
    got = rdma_shared_dp_config([dict(VALID, rdmaHcaMax="63")], "0")
    assert got["configList"][0]["rdmaHcaMax"] == 63
    assert got["periodicUpdateInterval"] == 0


def test_devices_form():
    got = rdma_shared_dp_config([{"resourceName": "a", "rdmaHcaMax": 1, "devices": ["ib0"], "selectors": {}}])
    assert got["configList"][0] == {"resourceName": "a", "rdmaHcaMax": 1, "devices": ["ib0"]}


BAD = [
    ("not a list", "x", r"^rdma_shared_dp_resources: must be a list"),
    ("empty", [], r"^rdma_shared_dp_resources: must define at least one"),
    ("item not a dict", ["x"], r"rdma_shared_dp_resources\[0\]: must be a dictionary"),
    ("unknown key", [dict(VALID, rdmaHCAMax=1)], r"\[0\]: unknown key\(s\) rdmaHCAMax"),
    ("missing name", [{"rdmaHcaMax": 1, "devices": ["ib0"]}], r"\[0\]\.resourceName: is required"),
    ("missing max", [{"resourceName": "a", "devices": ["ib0"]}], r"\[0\]\.rdmaHcaMax: is required"),
    ("name with dash", [dict(VALID, resourceName="hca-shared")], r"\[0\]\.resourceName: must be"),
    ("name too long", [dict(VALID, resourceName="a" * 64)], r"\[0\]\.resourceName: must be"),
    ("name not a string", [dict(VALID, resourceName=5)], r"\[0\]\.resourceName: must be"),
    ("duplicate name", [VALID, dict(VALID, resourcePrefix="x.io")], r"\[1\]\.resourceName: duplicates .*\[0\]"),
    ("prefix underscore", [dict(VALID, resourcePrefix="my_prefix")], r"\[0\]\.resourcePrefix: must be a DNS"),
    ("prefix kubernetes.io", [dict(VALID, resourcePrefix="kubernetes.io")], r"\.resourcePrefix: must be a DNS"),
    ("prefix k8s domain", [dict(VALID, resourcePrefix="rdma.kubernetes.io")], r"\.resourcePrefix: must be"),
    ("max zero", [dict(VALID, rdmaHcaMax=0)], r"\[0\]\.rdmaHcaMax: must be >= 1 \(got 0\)"),
    ("max negative", [dict(VALID, rdmaHcaMax=-5)], r"\[0\]\.rdmaHcaMax: must be >= 1"),
    ("max huge", [dict(VALID, rdmaHcaMax=10**6)], r"\[0\]\.rdmaHcaMax: must be <= 10000"),
    ("max bool", [dict(VALID, rdmaHcaMax=True)], r"\[0\]\.rdmaHcaMax: must be an integer, not a boolean"),
    ("max text", [dict(VALID, rdmaHcaMax="lots")], r"\[0\]\.rdmaHcaMax: must be an integer"),
    ("no selector", [{"resourceName": "a", "rdmaHcaMax": 1}], r"\[0\]\.selectors: must select devices"),
    ("empty selectors", [dict(VALID, selectors={"vendors": [], "ifNames": []})], r"\.selectors: must select"),
    ("both forms", [dict(VALID, devices=["ib0"])], r"\[0\]: sets both selectors and devices"),
    ("selectors not dict", [dict(VALID, selectors=["15b3"])], r"\[0\]\.selectors: must be a dictionary"),
    ("unknown selector", [dict(VALID, selectors={"devices": ["1017"]})], r"\.selectors: unknown key\(s\) devices"),
    ("upper-case vendor", [dict(VALID, selectors={"vendors": ["15B3"]})], r"\.selectors\.vendors\[0\]: must be"),
    ("vendor as string", [dict(VALID, selectors={"vendors": "15b3"})], r"\.selectors\.vendors: must be a list"),
    ("device id", [dict(VALID, selectors={"deviceIDs": ["101"]})], r"\.selectors\.deviceIDs\[0\]: must be"),
    ("bad ifname", [dict(VALID, selectors={"ifNames": ["a/b"]})], r"\.selectors\.ifNames\[0\]: must be"),
    ("bad driver", [dict(VALID, selectors={"drivers": ["mlx5 core"]})], r"\.selectors\.drivers\[0\]: must be"),
    ("link type ib", [dict(VALID, selectors={"linkTypes": ["ib"]})], r"\.linkTypes\[0\]: must be ether or inf"),
    ("dup selector", [dict(VALID, selectors={"vendors": ["15b3", "15b3"]})], r"\.vendors: has duplicate"),
    ("bad device", [{"resourceName": "a", "rdmaHcaMax": 1, "devices": ["x" * 16]}], r"\[0\]\.devices\[0\]"),
]


@pytest.mark.parametrize(("resources", "pattern"), [(r, p) for _, r, p in BAD], ids=[i for i, _, _ in BAD])
def test_refused(resources, pattern):
    with pytest.raises(AnsibleFilterError, match=pattern):
        rdma_shared_dp_config(resources)


def test_bad_interval_is_named():
    with pytest.raises(AnsibleFilterError, match=r"^rdma_shared_dp_periodic_update_interval: must be >= 0"):
        rdma_shared_dp_config([VALID], -1)


def test_variable_name_is_used():
    with pytest.raises(AnsibleFilterError, match=r"^my_var\[0\]\.rdmaHcaMax"):
        rdma_shared_dp_config([dict(VALID, rdmaHcaMax=0)], None, "my_var")


def test_filter_module():
    assert FilterModule().filters()["rdma_shared_dp_config"] is rdma_shared_dp_config
