# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rdmaops.fabric.converged_state: record, check (stop at the first difference), absent."""

from __future__ import annotations

import json
import os
from collections import namedtuple

import pytest
from ansible_collections.rdmaops.fabric.plugins.modules import converged_state
from module_harness import run_module

MLX = "/usr/bin/mlxconfig"
DPKG = "/usr/bin/dpkg-query"
# the record keeps the parameters sorted by name
QUERY = [MLX, "-d", "0000:3b:00.0", "-e", "q", "NUM_OF_VFS", "SRIOV_EN"]
VF_CHECK = ["/usr/bin/python3", "/usr/local/libexec/rdmaops/sriov-vfs.py", "--check", "apply"]
DPKG_Q = [DPKG, "-W", "-f=${Package} ${Version} ${db:Status-Abbrev}\n", "ibverbs-utils", "rdma-core"]


def fw_table(current, next_boot):
    """An ``mlxconfig -e q`` table in the tool's layout (tests/fixtures/samples/mlxconfig-query-e-*)."""
    rows = "".join(
        f"{'*' if c != '0' else ' '}        {name:<36}{d:<16}{c:<16}{n}\n"
        for name, d, c, n in (
            ("SRIOV_EN", "False(0)", "True(1)" if current else "False(0)", "True(1)" if next_boot else "False(0)"),
            ("NUM_OF_VFS", "0", str(current), str(next_boot)),
        )
    )
    return (
        "\nDevice #1:\n----------\n\nDevice type:    ConnectX6\n"
        f"Configurations:                              Default         Current         Next Boot\n{rows}"
    )


FW_OUT = fw_table(8, 8)
VF_OUT = '{"changed": false, "actions": [], "pfs": [{"pci": "0000:3b:00.0", "sriov_numvfs": 8}]}\n'
PKG_OUT = "ibverbs-utils 44.0-2 ii \nrdma-core 44.0-2 ii \n"
BINS = {"mlxconfig": MLX, "dpkg-query": DPKG}


@pytest.fixture
def host(tmp_path):
    conf = tmp_path / "modprobe.d" / "ib_core.conf"
    conf.parent.mkdir()
    conf.write_text("options ib_core netns_mode=0\n")
    wants = tmp_path / "wants"
    wants.mkdir()
    (wants / "vfs.service").symlink_to("/etc/systemd/system/vfs.service")
    record = tmp_path / "state" / "converged.json"
    return namedtuple("Host", "conf wants record")(conf, wants, record)


def watch(host):
    return {
        "netns_mode": {"files": [str(host.conf)]},
        "sriov_firmware": {
            "files": [str(host.wants / "vfs.service"), str(host.wants)],
            "firmware": [
                {"device": "0000:3b:00.0", "tool": "mlxconfig", "params": {"SRIOV_EN": True, "NUM_OF_VFS": 8}}
            ],
            "commands": [VF_CHECK],
        },
        "mofed": {"packages": ["rdma-core", "ibverbs-utils"]},
        "opensm": {"facts": {"opensm_health": {"expected_role": "master"}}},
    }


def record(host, **kwargs):
    args = {"state": "record", "path": str(host.record), "inputs_digest": "d1", "watch": watch(host)}
    commands = kwargs.pop("commands", [(DPKG_Q, (0, PKG_OUT, "")), (VF_CHECK, (0, VF_OUT, ""))])
    return run_module(converged_state.main, args, commands, bins=kwargs.pop("bins", BINS), **kwargs)


def check(host, commands=(), digest="d1", **kwargs):
    args = {"path": str(host.record), "inputs_digest": digest}
    return run_module(converged_state.main, args, commands, bins=kwargs.pop("bins", BINS), **kwargs)


UNCHANGED = [(DPKG_Q, (0, PKG_OUT, "")), (QUERY, (0, FW_OUT, "")), (VF_CHECK, (0, VF_OUT, ""))]


def test_no_record_is_not_converged_and_reads_nothing(host):
    r = check(host)
    assert r["converged"] is False and r["recorded"] is False and r["changed"] is False
    assert r["reason"] == "no converged run is recorded on this host"
    assert r.calls == []


def test_record_then_unchanged_host_is_converged_with_one_read_each(host):
    r = record(host)
    assert r["changed"] is True and r["observed"] == 5  # 3 files, 1 package query, 1 VF check: no firmware query
    assert oct(host.record.stat().st_mode & 0o777) == "0o600"
    stamp = json.loads(host.record.read_text())
    assert (
        stamp["roles"]["sriov_firmware"]["files"][str(host.wants / "vfs.service")]
        == "link:/etc/systemd/system/vfs.service"
    )
    assert stamp["roles"]["sriov_firmware"]["files"][str(host.wants)] == "directory"
    c = check(host, UNCHANGED)
    assert c["converged"] is True and c["reason"] == "" and c["changed"] is False
    assert c.calls == [DPKG_Q, QUERY, VF_CHECK]  # one package query, one firmware query, the VF check
    assert c["ansible_facts"] == {"opensm_health": {"expected_role": "master"}}


def test_record_again_changes_nothing(host):
    record(host)
    before = host.record.stat().st_mtime_ns
    assert record(host)["changed"] is False
    assert host.record.stat().st_mtime_ns == before


def test_changed_file_is_named_and_no_tool_runs(host):
    record(host)
    host.conf.write_text("options ib_core netns_mode=1\n")
    c = check(host)
    assert c["converged"] is False
    assert c["reason"].startswith(f"netns_mode: {host.conf} changed (sha256:")
    assert c.calls == []
    assert "ansible_facts" not in c


def test_removed_unit_link_is_a_difference(host):
    record(host)
    (host.wants / "vfs.service").unlink()
    c = check(host)
    assert (
        c["reason"]
        == f"sriov_firmware: {host.wants / 'vfs.service'} changed (link:/etc/systemd/system/vfs.service -> missing)"
    )


def test_firmware_drift_names_the_parameter(host):
    record(host)
    c = check(host, [(DPKG_Q, (0, PKG_OUT, "")), (QUERY, (0, fw_table(16, 16), ""))])
    assert c["converged"] is False
    assert c["reason"] == "sriov_firmware: 0000:3b:00.0: NUM_OF_VFS is 16 (wanted 8)"


def test_pending_firmware_value_is_not_converged(host):
    record(host)
    c = check(host, [(DPKG_Q, (0, PKG_OUT, "")), (QUERY, (0, fw_table(0, 8), ""))])
    assert c["reason"] == "sriov_firmware: 0000:3b:00.0: a firmware value waits for a reboot (NUM_OF_VFS, SRIOV_EN)"


def test_failed_firmware_query_is_not_converged(host):
    record(host)
    c = check(host, [(DPKG_Q, (0, PKG_OUT, "")), (QUERY, (3, "", "-E- Failed to open device"))])
    assert c["reason"] == "sriov_firmware: the firmware query of 0000:3b:00.0 failed (rc=3): -E- Failed to open device"


def test_vf_check_output_change_is_named(host):
    record(host)
    drift = VF_OUT.replace('"sriov_numvfs": 8', '"sriov_numvfs": 0')
    c = check(host, [(DPKG_Q, (0, PKG_OUT, "")), (QUERY, (0, FW_OUT, "")), (VF_CHECK, (0, drift, ""))])
    assert c["reason"] == f"sriov_firmware: the output of `{' '.join(VF_CHECK)}` changed"


def test_package_change_stops_before_the_firmware_query(host):
    record(host)
    held = PKG_OUT.replace("rdma-core 44.0-2 ii", "rdma-core 44.0-3 ii")
    c = check(host, [(DPKG_Q, (0, held, ""))])
    assert c["reason"] == "mofed: a package of ibverbs-utils, rdma-core changed (version, presence or hold)"


def test_failing_command_is_recorded_by_exit_code(host):
    record(host, commands=[(DPKG_Q, (0, PKG_OUT, "")), (VF_CHECK, (1, VF_OUT, "boom"))])
    c = check(host, UNCHANGED)
    assert c["converged"] is False and "sriov-vfs.py" in c["reason"]


def test_changed_inputs_read_nothing(host):
    record(host)
    c = check(host, digest="d2")
    assert c["reason"] == "the inputs changed (role variables, inventory groups or collection content)"
    assert c.calls == []


def test_new_kernel_is_a_difference(host, monkeypatch):
    record(host)
    real = os.uname()
    fake = type("U", (), {"release": real.release + "-new"})
    monkeypatch.setattr(converged_state.os, "uname", lambda: fake)
    c = check(host)
    assert c["reason"] == f"the running kernel changed ({real.release} -> {real.release}-new)"


def test_missing_tool_is_a_stable_value(host):
    spec = {"netns_mode": {"commands": [["rdma", "system"]]}}
    args = {"state": "record", "path": str(host.record), "inputs_digest": "d1", "watch": spec}
    run_module(converged_state.main, args, bins={})
    stamp = json.loads(host.record.read_text())
    assert stamp["roles"]["netns_mode"]["commands"][0]["value"] == "not found"
    c = run_module(converged_state.main, {"path": str(host.record), "inputs_digest": "d1"}, bins={})
    assert c["converged"] is True


def test_missing_firmware_tool_is_not_converged(host):
    record(host)
    c = check(host, [(DPKG_Q, (0, PKG_OUT, ""))], bins={"dpkg-query": DPKG})
    assert c["reason"] == "sriov_firmware: mlxconfig is not installed"


def test_unreadable_record_is_not_converged(host):
    host.record.parent.mkdir()
    host.record.write_text("{not json")
    c = check(host)
    assert c["converged"] is False and c["recorded"] is True
    assert c["reason"].startswith(f"the record {host.record} is unreadable")


def test_record_of_another_format_is_not_trusted(host):
    record(host)
    stamp = json.loads(host.record.read_text())
    stamp["format"] = 0
    host.record.write_text(json.dumps(stamp))
    assert check(host)["reason"] == "the record was written by another version of the collection"


def test_check_mode_record_and_absent_write_nothing(host):
    r = record(host, check_mode=True)
    assert r["changed"] is True and not host.record.exists()
    record(host)
    a = run_module(converged_state.main, {"state": "absent", "path": str(host.record)}, check_mode=True)
    assert a["changed"] is True and host.record.exists()


def test_absent_removes_the_record_once(host):
    record(host)
    args = {"state": "absent", "path": str(host.record)}
    assert run_module(converged_state.main, args)["changed"] is True
    assert not host.record.exists()
    assert run_module(converged_state.main, args)["changed"] is False


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"files": [], "units": []},
            "watch.mofed must be a dict with the keys files, packages, firmware, commands, facts",
        ),
        ({"commands": ["rdma system"]}, "watch.mofed.commands: each command is a non-empty list of strings"),
        ({"commands": [[]]}, "watch.mofed.commands: each command is a non-empty list of strings"),
        (
            {"firmware": [{"device": "0000:3b:00.0"}]},
            "watch.mofed.firmware: each entry is a dict of device, tool and params",
        ),
    ],
)
def test_bad_watch_is_refused_before_anything_is_written(host, spec, message):
    args = {"state": "record", "path": str(host.record), "inputs_digest": "d1", "watch": {"mofed": spec}}
    r = run_module(converged_state.main, args, expect_fail=True)
    assert r["msg"].startswith(message)
    assert not host.record.exists()


def test_digest_is_required(host):
    r = run_module(converged_state.main, {"path": str(host.record)}, expect_fail=True)
    assert "inputs_digest" in r["msg"]


def test_unwritable_record_is_one_clear_error(host):
    host.record.parent.mkdir()
    host.record.mkdir()  # a directory where the file should go: the rename fails
    r = record(host, expect_fail=True)
    assert r["msg"].startswith(f"cannot write the converged record {host.record}: ")
