# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rdmaops.fabric.rdma_system with a scripted run_command and a temporary modprobe.d file."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.rdmaops.fabric.plugins.module_utils import _rdma as rdma
from ansible_collections.rdmaops.fabric.plugins.modules import rdma_system
from module_harness import run_module
from sample_io import sample

RDMA = "/usr/sbin/rdma"
BINS = {"rdma": RDMA}
SHOW = [RDMA, "system"]
BUSY = (1, "", "error: Device or resource busy\n")


def set_netns(mode):
    return [RDMA, "system", "set", "netns", mode]


@pytest.fixture
def conf(tmp_path):
    return tmp_path / "modprobe.d" / "ib_core.conf"


def run(args, commands, conf, **kwargs):
    args = dict(args)
    args.setdefault("modprobe_conf", str(conf))
    return run_module(rdma_system.main, args, commands, bins=kwargs.pop("bins", BINS), **kwargs)


def test_no_change(conf):
    conf.parent.mkdir()
    conf.write_text(rdma.render_modprobe_conf(None, "shared"))
    r = run({"netns": "shared"}, [(SHOW, (0, sample("rdma-system-06.txt"), ""))], conf)
    assert r["changed"] is False
    assert r["reboot_required"] is False
    assert (r["netns"], r["netns_persistent"]) == ("shared", "shared")
    assert (r["privileged_qkey"], r["monitor"], r["copy_on_fork"]) == (False, True, True)
    assert r.environ == [{"LANGUAGE": "C", "LC_ALL": "C"}]


def test_switch_at_runtime_and_persist(conf):
    r = run(
        {"netns": "exclusive"},
        [(SHOW, (0, sample("rdma-system-01.txt"), "")), (set_netns("exclusive"), (0, "", ""))],
        conf,
        diff=True,
    )
    assert r["changed"] is True
    assert r["reboot_required"] is False
    assert (r["netns"], r["netns_persistent"]) == ("exclusive", "exclusive")
    assert conf.read_text() == rdma.MODPROBE_HEADER + "options ib_core netns_mode=0\n"
    assert oct(conf.stat().st_mode & 0o777) == "0o644"
    assert "backup_file" not in r  # nothing to back up
    file_diff, runtime_diff = r["diff"]
    assert file_diff["before"] == "" and file_diff["after"].endswith("netns_mode=0\n")
    assert file_diff["before_header"] == str(conf)
    assert runtime_diff == {
        "before": "netns shared\n",
        "after": "netns exclusive\n",
        "before_header": "rdma system",
        "after_header": "rdma system",
    }


def test_kernel_refusal_with_persistence_needs_reboot(conf):
    conf.parent.mkdir()
    conf.write_text("# local\noptions ib_core netns_mode=1\n")
    r = run(
        {"netns": "exclusive"}, [(SHOW, (0, sample("rdma-system-04.txt"), "")), (set_netns("exclusive"), BUSY)], conf
    )
    assert r["changed"] is True
    assert r["reboot_required"] is True
    assert (r["netns"], r["netns_persistent"]) == ("shared", "exclusive")
    assert conf.read_text() == "# local\noptions ib_core netns_mode=0\n"
    backup = r["backup_file"]
    assert backup.startswith(str(conf))
    assert Path(backup).read_text() == "# local\noptions ib_core netns_mode=1\n"
    assert any("applies after a reboot" in w for w in r.warnings)


def test_kernel_refusal_second_run_is_unchanged_but_still_needs_reboot(conf):
    conf.parent.mkdir()
    conf.write_text(rdma.render_modprobe_conf(None, "exclusive"))
    r = run({"netns": "exclusive"}, [(SHOW, (0, "netns shared\n", "")), (set_netns("exclusive"), BUSY)], conf)
    # the refused switch changed nothing: idempotent, but the reboot is still due
    assert r["changed"] is False
    assert r["reboot_required"] is True
    assert r["netns"] == "shared"


def test_kernel_refusal_without_persistence_fails(conf):
    r = run(
        {"netns": "exclusive", "persistent": False},
        [(SHOW, (0, "netns shared\n", "")), (set_netns("exclusive"), BUSY)],
        conf,
        expect_fail=True,
    )
    assert "other network namespaces exist" in r["msg"] and "persistent=true" in r["msg"]
    assert not conf.exists()


def test_other_set_failure(conf):
    r = run(
        {"netns": "shared", "persistent": False},
        [(SHOW, (0, "netns exclusive\n", "")), (set_netns("shared"), (1, "", "error: Operation not permitted\n"))],
        conf,
        expect_fail=True,
    )
    assert r["msg"] == "'rdma system set netns shared' failed: error: Operation not permitted"


def test_check_mode_runs_no_set_and_writes_nothing(conf):
    r = run(
        {"netns": "exclusive"}, [(SHOW, (0, "netns shared copy-on-fork on\n", ""))], conf, check_mode=True, diff=True
    )
    assert r["changed"] is True
    assert r["netns"] == "exclusive"
    assert r["reboot_required"] is False
    assert r.calls == [SHOW]
    assert not conf.exists()
    assert len(r["diff"]) == 2


def test_runtime_only_reports_persisted_mode(conf):
    conf.parent.mkdir()
    conf.write_text("options ib_core netns_mode=1\n")
    r = run(
        {"netns": "exclusive", "persistent": False},
        [(SHOW, (0, "netns shared\n", "")), (set_netns("exclusive"), (0, "", ""))],
        conf,
    )
    assert (r["netns"], r["netns_persistent"]) == ("exclusive", "shared")
    assert conf.read_text() == "options ib_core netns_mode=1\n"


def test_persist_only_when_runtime_already_matches(conf):
    r = run({"netns": "shared"}, [(SHOW, (0, "netns shared\n", ""))], conf)
    assert r["changed"] is True
    assert r["netns_persistent"] == "shared"
    assert r.calls == [SHOW]


def test_privileged_qkey(conf):
    r = run(
        {"privileged_qkey": True},
        [
            (SHOW, (0, sample("rdma-system-06.txt"), "")),
            ([RDMA, "system", "set", "privileged-qkey", "on"], (0, "", "")),
        ],
        conf,
    )
    assert r["changed"] is True and r["privileged_qkey"] is True
    assert r["netns_persistent"] is None
    assert not conf.exists()
    r = run({"privileged_qkey": False}, [(SHOW, (0, sample("rdma-system-04.txt"), ""))], conf)
    assert r["changed"] is False


def test_privileged_qkey_failure(conf):
    r = run(
        {"privileged_qkey": True},
        [
            (SHOW, (0, "netns shared privileged-qkey off\n", "")),
            ([RDMA, "system", "set", "privileged-qkey", "on"], (1, "", "error: Operation not supported\n")),
        ],
        conf,
        expect_fail=True,
    )
    assert "privileged-qkey on' failed: error: Operation not supported" in r["msg"]


def test_privileged_qkey_not_reported(conf):
    r = run({"privileged_qkey": True}, [(SHOW, (0, sample("rdma-system-03.txt"), ""))], conf, expect_fail=True)
    assert "iproute2 6.7 or later and Linux 6.5 or later" in r["msg"]
    assert "copy_on_fork=True" in r["msg"]


def test_old_iproute2_without_system_object(conf):
    r = run(
        {"netns": "shared"},
        [(SHOW, (0, "", "Unknown object 'system'.\n")), ([RDMA, "-V"], (0, "rdma utility, iproute2-ss190107\n", ""))],
        conf,
        expect_fail=True,
    )
    assert r["msg"] == ("This rdma tool (iproute2 ss190107) has no 'system' object: iproute2 5.3 or later is required.")


def test_rdma_system_failure(conf):
    r = run({"netns": "shared"}, [(SHOW, (255, "", "Failed to open NETLINK_RDMA socket\n"))], conf, expect_fail=True)
    assert r["msg"] == "'rdma system' failed: Failed to open NETLINK_RDMA socket"


def test_rdma_missing(conf):
    r = run({"netns": "shared"}, [], conf, bins={}, expect_fail=True)
    assert "install iproute2 5.3 or later" in r["msg"]


def test_netns_or_privileged_qkey_required(conf):
    r = run({}, [], conf, expect_fail=True)
    assert "one of the following is required: netns, privileged_qkey" in r["msg"]


def test_unreadable_conf(conf):
    conf.mkdir(parents=True)  # a directory where the file should be
    r = run({"netns": "shared"}, [(SHOW, (0, "netns shared\n", ""))], conf, expect_fail=True)
    assert r["msg"].startswith(f"cannot read {conf}")


def test_unwritable_conf_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    conf = blocker / "sub" / "ib_core.conf"
    r = run({"netns": "shared"}, [(SHOW, (0, "netns shared\n", ""))], conf, expect_fail=True)
    assert r["msg"].startswith(f"cannot write {conf}")
