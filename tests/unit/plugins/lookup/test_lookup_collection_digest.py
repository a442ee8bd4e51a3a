# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rdmaops.fabric.collection_digest: content and paths of roles/plugins/playbooks, no byte code."""

from __future__ import annotations

import re

from ansible_collections.rdmaops.fabric.plugins.lookup import collection_digest
from ansible_collections.rdmaops.fabric.plugins.lookup.collection_digest import content_digest


def tree(root):
    for rel, text in {
        "roles/mofed/defaults/main.yml": "mofed_state: present\n",
        "plugins/modules/x.py": "print(1)\n",
        "playbooks/hosts.yml": "---\n",
        "docs/notes.md": "not part of it\n",
    }.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return content_digest(str(root))


def test_a_changed_default_changes_the_digest(tmp_path):
    before = tree(tmp_path)
    (tmp_path / "roles/mofed/defaults/main.yml").write_text("mofed_state: absent\n")
    assert content_digest(str(tmp_path)) != before


def test_a_renamed_file_changes_the_digest(tmp_path):
    before = tree(tmp_path)
    (tmp_path / "playbooks/hosts.yml").rename(tmp_path / "playbooks/other.yml")
    assert content_digest(str(tmp_path)) != before


def test_byte_code_and_other_directories_do_not_count(tmp_path):
    before = tree(tmp_path)
    (tmp_path / "plugins/modules/__pycache__").mkdir()
    (tmp_path / "plugins/modules/__pycache__/x.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "plugins/modules/y.pyc").write_bytes(b"\0")
    (tmp_path / "docs/notes.md").write_text("edited\n")
    assert content_digest(str(tmp_path)) == before


def test_the_lookup_digests_this_collection():
    (digest,) = collection_digest.LookupModule().run([])
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
