# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: collection_digest
short_description: A digest of this collection's roles, plugins and playbooks
version_added: 0.1.0
author:
  - rdmaops.fabric maintainers (@rdmaops)
description:
  - Returns one SHA-256 digest over the relative paths and the contents of the files under the
    collection's C(roles/), C(plugins/) and C(playbooks/) directories (byte-code caches left out).
  - The host phase puts it into the inputs of M(rdmaops.fabric.converged_state), so that a host
    recorded as converged by another version of the roles (an upgrade, a local edit) converges in full again.
  - Runs on the controller, once per host that asks; about 200 small files.
options: {}
"""

EXAMPLES = r"""
- name: Show the digest of the collection's content
  ansible.builtin.debug:
    msg: "{{ lookup('rdmaops.fabric.collection_digest') }}"
"""

RETURN = r"""
_raw:
  description: One hexadecimal SHA-256 digest.
  type: list
  elements: str
"""

import hashlib
import os

from ansible.plugins.lookup import LookupBase

PARTS = ("roles", "plugins", "playbooks")


def content_digest(root):
    digest = hashlib.sha256()
    for part in PARTS:
        for directory, subdirs, files in os.walk(os.path.join(root, part)):
            subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".pyc", ".pyo")):
                    continue
                path = os.path.join(directory, name)
                digest.update(os.path.relpath(path, root).encode() + b"\0")
                with open(path, "rb") as handle:
                    digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        return [content_digest(root)]
