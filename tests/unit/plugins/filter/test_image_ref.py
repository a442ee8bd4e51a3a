# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rdmaops.fabric.image_ref: pinned references only, errors name the variable."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.rdmaops.fabric.plugins.filter.image_ref import FilterModule, image_ref

DIGEST = "sha256:" + "0123456789abcdef" * 4
MULTUS = {"registry": "ghcr.io", "repository": "k8snetworkplumbingwg/multus-cni", "tag": "v4.2.4-thick"}


def test_registered():
    assert FilterModule().filters()["image_ref"] is image_ref


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (MULTUS, "ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.4-thick"),
        ({**MULTUS, "digest": DIGEST}, f"ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.4-thick@{DIGEST}"),
        ({**MULTUS, "digest": ""}, "ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.4-thick"),
        ({**MULTUS, "digest": None}, "ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.4-thick"),
        (
            {**MULTUS, "registry": "registry.local:5000"},
            "registry.local:5000/k8snetworkplumbingwg/multus-cni:v4.2.4-thick",
        ),
        ({**MULTUS, "registry": ""}, "k8snetworkplumbingwg/multus-cni:v4.2.4-thick"),
        ({"repository": "pause", "tag": "3.10"}, "pause:3.10"),
        (
            {**MULTUS, "digest": "sha512:" + "ab" * 64},
            f"ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.4-thick@sha512:{'ab' * 64}",
        ),
    ],
)
def test_reference(image, expected):
    assert image_ref(image, "multus_image") == expected


@pytest.mark.parametrize(
    ("image", "path", "words"),
    [
        ({**MULTUS, "tag": "latest"}, "multus_image.tag", "latest"),
        ({**MULTUS, "tag": "LATEST"}, "multus_image.tag", "latest"),
        ({**MULTUS, "tag": ""}, "multus_image.tag", "required"),
        ({**MULTUS, "tag": "  "}, "multus_image.tag", "required"),
        ({"registry": "ghcr.io", "repository": "x/y"}, "multus_image.tag", "required"),
        ({**MULTUS, "tag": 4.2}, "multus_image.tag", "quote"),
        ({**MULTUS, "tag": "-bad"}, "multus_image.tag", "1-128"),
        ({**MULTUS, "tag": ["v1"]}, "multus_image.tag", "1-128"),
        ({**MULTUS, "digest": "sha256:abc"}, "multus_image.digest", "sha256"),
        ({**MULTUS, "digest": "md5:" + "0" * 32}, "multus_image.digest", "sha256"),
        ({**MULTUS, "digest": "0" * 64}, "multus_image.digest", "sha256"),
        ({**MULTUS, "digest": "sha256:" + "A" * 64}, "multus_image.digest", "lower-case"),
        ({**MULTUS, "digest": 12}, "multus_image.digest", "string"),
        ({**MULTUS, "registry": "https://ghcr.io"}, "multus_image.registry", "host"),
        ({**MULTUS, "registry": 5}, "multus_image.registry", "host"),
        ({**MULTUS, "repository": ""}, "multus_image.repository", "required"),
        ({**MULTUS, "repository": "Upper/Case"}, "multus_image.repository", "lower-case"),
        ({**MULTUS, "repository": "x/y:v1"}, "multus_image.repository", "without a tag"),
        ({**MULTUS, "tags": "v1"}, "multus_image", "unknown key(s) tags"),
        ("ghcr.io/x:v1", "multus_image", "dictionary"),
    ],
)
def test_refused(image, path, words):
    with pytest.raises(AnsibleFilterError) as err:
        image_ref(image, "multus_image")
    assert str(err.value).startswith(f"{path}:")
    assert words in str(err.value)


def test_default_variable_name():
    with pytest.raises(AnsibleFilterError, match=r"^image\.tag:"):
        image_ref({"repository": "x"})
