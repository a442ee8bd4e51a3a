# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make this checkout importable as ``ansible_collections.rdmaops.fabric`` for the unit tests.

A temporary ``<tmp>/ansible_collections/rdmaops/fabric`` symlink to the repository root is made once
per session and put first on ``sys.path``; ``ansible_collections`` is a namespace package, so the
collections shipped with the ``ansible`` package stay importable next to ours.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

from hypothesis import settings

REPO_ROOT = Path(__file__).resolve().parents[2]


def _collection_root():
    root = Path(tempfile.mkdtemp(prefix="rdmaops-unit-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    namespace = root / "ansible_collections" / "rdmaops"
    namespace.mkdir(parents=True)
    os.symlink(REPO_ROOT, namespace / "fabric")
    return root


# Test helpers (sample_io, module_harness) live next to this file.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

COLLECTIONS_ROOT = _collection_root()
if str(COLLECTIONS_ROOT) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_ROOT))
# A previously imported `ansible_collections` namespace must learn the new path entry.
if "ansible_collections" in sys.modules:  # pragma: no cover - depends on import order
    sys.modules["ansible_collections"].__path__.insert(0, str(COLLECTIONS_ROOT / "ansible_collections"))

# Property tests: reproducible by default (same examples on every run, no timing deadline on slow
# CI machines); HYPOTHESIS_PROFILE=explore searches new examples and more of them.
settings.register_profile("rdmaops", derandomize=True, deadline=None)
settings.register_profile("explore", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "rdmaops"))
