# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: image_ref
short_description: Build a pinned container image reference from registry, repository, tag and digest
version_added: 0.1.0
author: rdmaops.fabric maintainers
description:
  - Joins C(registry), C(repository), C(tag) and the optional C(digest) of an image variable into
    C(registry/repository:tag) or C(registry/repository:tag@digest).
  - Refuses floating or malformed references before anything reaches the API server, naming the
    variable, for example C(multus_image.tag) - a missing, empty or C(latest) tag, a digest that is
    not C(sha256:<64 hex>) (or C(sha384)/C(sha512) with their lengths), unknown keys (typos).
  - Every image of the collection goes through this filter, so air-gapped sites override only
    C(registry) (or the whole dictionary) in their inventory.
positional: variable
options:
  _input:
    description: The image, a dictionary with C(registry), C(repository), C(tag) and optionally C(digest).
    type: dict
    required: true
  variable:
    description: The inventory variable that holds the image, used in error messages.
    type: str
    default: image
"""

EXAMPLES = r"""
- name: Multus image reference
  ansible.builtin.debug:
    msg: >-
      {{ {'registry': 'ghcr.io', 'repository': 'k8snetworkplumbingwg/multus-cni', 'tag': 'v4.2.4-thick'}
         | rdmaops.fabric.image_ref('multus_image') }}
    # ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.4-thick
"""

RETURN = r"""
_value:
  description: The image reference, C(registry/repository:tag) with C(@digest) appended when a digest is set.
  type: str
"""

import re

from ansible.errors import AnsibleFilterError

KEYS = ("registry", "repository", "tag", "digest")
# A registry host with an optional port (docker/distribution reference grammar: domain).
REGISTRY_RE = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?))*(?::[0-9]+)?$"
)
# Path components: lower-case alphanumerics separated by '.', '_', '__' or '-' runs.
COMPONENT_RE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


def _fail(path, problem, value):
    raise AnsibleFilterError(f"{path}: {problem} (got {value!r})")


def image_ref(image, variable="image"):
    """Return registry/repository:tag[@digest] or raise AnsibleFilterError naming the variable."""
    if not isinstance(image, dict):
        _fail(variable, "must be a dictionary with registry, repository, tag and optionally digest", image)
    unknown = sorted(str(k) for k in image if k not in KEYS)
    if unknown:
        raise AnsibleFilterError(f"{variable}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(KEYS)}")

    registry = image.get("registry")
    if registry is None or registry == "":
        registry = ""
    elif not isinstance(registry, str) or not REGISTRY_RE.match(registry):
        _fail(f"{variable}.registry", "must be a registry host name with an optional :port, e.g. ghcr.io", registry)

    repository = image.get("repository")
    if not isinstance(repository, str) or not repository:
        _fail(f"{variable}.repository", "is required, e.g. k8snetworkplumbingwg/multus-cni", repository)
    if len(repository) > 255 or not all(COMPONENT_RE.match(part) for part in repository.split("/")):
        _fail(
            f"{variable}.repository",
            "must be lower-case path components separated by '/', without a tag or digest",
            repository,
        )

    tag = image.get("tag")
    if isinstance(tag, (int, float)) and not isinstance(tag, bool):
        _fail(f"{variable}.tag", "must be a string; quote version-like tags in YAML", tag)
    if tag is None or (isinstance(tag, str) and not tag.strip()):
        _fail(f"{variable}.tag", "is required: pin a release tag, never rely on the registry's default", tag)
    if not isinstance(tag, str) or not TAG_RE.match(tag):
        _fail(f"{variable}.tag", "must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'", tag)
    if tag.lower() == "latest":
        _fail(f"{variable}.tag", "must pin a release; 'latest' moves under you and differs between nodes", tag)

    ref = f"{registry}/{repository}:{tag}" if registry else f"{repository}:{tag}"

    digest = image.get("digest")
    if digest is None or digest == "":
        return ref
    if not isinstance(digest, str):
        _fail(f"{variable}.digest", "must be a string such as sha256:<64 hex digits>", digest)
    algorithm, sep, encoded = digest.partition(":")
    expected = DIGEST_LENGTHS.get(algorithm)
    if not sep or expected is None or len(encoded) != expected or not re.match(r"^[0-9a-f]+$", encoded):
        _fail(
            f"{variable}.digest",
            "must be <algorithm>:<lower-case hex>, with sha256 (64 digits), sha384 (96) or sha512 (128)",
            digest,
        )
    return f"{ref}@{digest}"


class FilterModule:
    def filters(self):
        return {"image_ref": image_ref}
