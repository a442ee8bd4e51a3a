# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""End to end: the real ``ansible`` CLI runs rdmaops.fabric.mlxconfig against a fake ``mlxconfig``
on PATH that prints a published sample and logs its arguments.

Proves the acceptance criteria of issue 2: the parsed values come back, an unchanged NIC costs
exactly one tool call, a change costs one query plus one ``set``, ``--check`` never calls ``set``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sample_io import sample

REPO_ROOT = Path(__file__).resolve().parents[4]
ANSIBLE = Path(sys.executable).parent / "ansible"
DEVICE = "/dev/mst/mt4119_pciconf0"

FAKE_TOOL = """#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_MLX_LOG"
case " $* " in
  *" set "*) cat "$FAKE_MLX_SET" ;;
  *) cat "$FAKE_MLX_QUERY" ;;
esac
"""

pytestmark = pytest.mark.skipif(not ANSIBLE.exists(), reason="the ansible CLI of this venv is needed")


@pytest.fixture
def lab(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    tool = bindir / "mlxconfig"
    tool.write_text(FAKE_TOOL)
    tool.chmod(0o755)
    (tmp_path / "query.txt").write_text(sample("mlxconfig-query-cx5-01.txt"))
    (tmp_path / "set.txt").write_text(sample("mlxconfig-set-cx5-01.txt"))
    collections = tmp_path / "collections" / "ansible_collections" / "rdmaops"
    collections.mkdir(parents=True)
    (collections / "fabric").symlink_to(REPO_ROOT)
    env = dict(os.environ)
    env.update(
        PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}",
        ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"),
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_REMOTE_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_NOCOLOR="true",
        ANSIBLE_CONFIG=str(tmp_path / "none.cfg"),
        FAKE_MLX_LOG=str(tmp_path / "calls.log"),
        FAKE_MLX_QUERY=str(tmp_path / "query.txt"),
        FAKE_MLX_SET=str(tmp_path / "set.txt"),
    )
    env.pop("ANSIBLE_COLLECTIONS_SCAN_SYS_PATH", None)

    def run(params, *extra):
        args = json.dumps({"device": DEVICE, "params": params})
        log = tmp_path / "calls.log"
        if log.exists():
            log.unlink()
        proc = subprocess.run(
            [
                str(ANSIBLE),
                "localhost",
                "-c",
                "local",
                "-i",
                "localhost,",
                "-e",
                f"ansible_python_interpreter={sys.executable}",
                "-m",
                "rdmaops.fabric.mlxconfig",
                "-a",
                args,
                *extra,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        out = proc.stdout
        assert " => " in out, f"unexpected ansible output:\n{out}\n{proc.stderr}"
        result = json.loads(out[out.index(" => ") + 4 :])
        calls = log.read_text().splitlines() if log.exists() else []
        return proc.returncode, result, calls

    return run


def test_unchanged_nic_costs_exactly_one_call(lab):
    rc, result, calls = lab({"SRIOV_EN": True, "NUM_OF_VFS": 0, "CQE_COMPRESSION": "BALANCED"})
    assert rc == 0, result
    assert result["changed"] is False
    assert result["next_boot"] == {"SRIOV_EN": "True", "NUM_OF_VFS": 0, "CQE_COMPRESSION": "BALANCED"}
    assert result["device_info"]["device_type"] == "ConnectX5"
    assert result["tool"] == "mlxconfig"
    assert calls == [f"-d {DEVICE} -e q"]


def test_change_is_one_query_and_one_set(lab):
    rc, result, calls = lab({"SRIOV_EN": "True(1)", "NUM_OF_VFS": 8, "PCI_WR_ORDERING": "per_mkey"})
    assert rc == 0, result
    assert result["changed"] is True
    assert result["reboot_required"] is True  # the table has no Current column
    assert result["changes"] == {"NUM_OF_VFS": {"before": 0, "after": 8}}
    assert calls == [f"-d {DEVICE} -e q", f"-d {DEVICE} -y set NUM_OF_VFS=8"]


def test_check_mode_never_calls_set(lab):
    rc, result, calls = lab({"NUM_OF_VFS": 8, "SRIOV_EN": False}, "--check", "--diff")
    assert rc == 0, result
    assert result["changed"] is True
    assert result["changes"]["SRIOV_EN"] == {"before": "True", "after": "False"}
    assert calls == [f"-d {DEVICE} -e q"]


def test_unknown_parameter_fails_with_suggestion(lab):
    rc, result, calls = lab({"SRIOV_ENABLE": True})
    assert rc != 0
    assert result["msg"].startswith(f"Unknown firmware parameter(s) for {DEVICE}: SRIOV_ENABLE (closest: SRIOV_EN, ")
    assert calls == [f"-d {DEVICE} -e q"]
