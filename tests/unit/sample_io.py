# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read a sample from tests/fixtures/samples the way every parser test must: drop the leading
``# source:`` / ``# command:`` / ``# note:`` header lines and return the rest byte-for-byte."""

from __future__ import annotations

from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
HEADER_PREFIXES = (b"# source: ", b"# command: ", b"# note: ")


def sample_bytes(name):
    data = (SAMPLES_DIR / name).read_bytes()
    lines = data.splitlines(keepends=True)
    i = 0
    while i < len(lines) and lines[i].startswith(HEADER_PREFIXES):
        i += 1
    return b"".join(lines[i:])


def sample(name):
    """The body of a sample as text (UTF-8), headers dropped, nothing else changed."""
    return sample_bytes(name).decode("utf-8")


def sample_path(name):
    return SAMPLES_DIR / name
