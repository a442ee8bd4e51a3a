# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rdmaops.fabric.rdma_info against a temporary sysfs tree and scripted tools."""

from __future__ import annotations

from ansible_collections.rdmaops.fabric.plugins.modules import rdma_info
from module_harness import run_module
from sample_io import sample
from sysfs_tree import make_sysfs

RDMA = "/usr/sbin/rdma"
OFED = "/usr/bin/ofed_info"
IBSTAT = "/usr/sbin/ibstat"
I2N = "/usr/bin/ibdev2netdev"


def run(args, commands=(), bins=None, **kwargs):
    return run_module(rdma_info.main, args, commands, bins=bins or {}, **kwargs)


def test_sysfs_and_tools(tmp_path):
    root = make_sysfs(tmp_path)
    r = run(
        {"sysfs_root": str(root)},
        [
            ([RDMA, "system"], (0, sample("rdma-system-06.txt"), "")),
            ([OFED, "-s"], (0, "OFED-internal-24.10-1.1.4.0.200:\n", "")),
        ],
        bins={"rdma": RDMA, "ofed_info": OFED},
        check_mode=True,
    )
    assert r["changed"] is False
    assert [d["name"] for d in r["devices"]] == ["mlx5_0", "mlx5_1", "mlx5_2"]
    assert r["devices"][0]["pci_address"] == "0000:af:00.0"
    assert r["devices"][0]["ports"][0]["netdev"] == "ens1f0"
    assert r["netns"] == "shared"  # rdma system wins over the sysfs module parameter
    assert r["rdma_system"] == {"netns": "shared", "privileged_qkey": False, "monitor": True, "copy_on_fork": True}
    assert r["driver"] == {"stack": "doca_ofed", "version": "24.10-1.1.4.0.200"}
    assert r["sources"] == ["sysfs", "rdma system", "ofed_info -s"]
    assert r.environ[0] == {"LANGUAGE": "C", "LC_ALL": "C"}


def test_mlnx_ofed_and_inbox(tmp_path):
    root = make_sysfs(tmp_path)
    r = run(
        {"sysfs_root": str(root)},
        [([OFED, "-s"], (0, "MLNX_OFED_LINUX-5.8-1.0.1.1:\n", ""))],
        bins={"ofed_info": OFED},
    )
    assert r["driver"] == {"stack": "mlnx_ofed", "version": "5.8-1.0.1.1"}
    assert r["netns"] == "exclusive"  # from sysfs module/ib_core/parameters/netns_mode
    assert r["sources"] == ["sysfs", "ofed_info -s", "sysfs ib_core netns_mode"]
    r = run({"sysfs_root": str(root)})
    assert r["driver"] == {"stack": "inbox", "version": None}


def test_failing_tools_are_skipped(tmp_path):
    root = make_sysfs(tmp_path)
    r = run(
        {"sysfs_root": str(root)},
        [([RDMA, "system"], (0, "", "Unknown object 'system'.\n")), ([OFED, "-s"], (1, "", "boom"))],
        bins={"rdma": RDMA, "ofed_info": OFED},
    )
    assert r["driver"] == {"stack": "unknown", "version": None}
    assert r["netns"] == "exclusive"


def test_no_rdma_devices_is_not_a_failure(tmp_path):
    r = run({"sysfs_root": str(tmp_path)})
    assert r["devices"] == []
    assert r["netns"] is None
    assert r["driver"] == {"stack": "inbox", "version": None}
    assert r["sources"] == []
    assert r.calls == []


def test_no_devices_in_sysfs_falls_back_to_tools(tmp_path):
    r = run(
        {"sysfs_root": str(tmp_path)},
        [
            ([RDMA, "system"], (0, "netns exclusive copy-on-fork on\n", "")),
            ([RDMA, "dev"], (0, sample("rdma-dev-show-01.txt"), "")),
            ([RDMA, "link"], (0, sample("rdma-link-01.txt"), "")),
            ([IBSTAT], (0, sample("ibstat-roce-cx4lx-01.txt"), "")),
            ([I2N, "-v"], (0, sample("ibdev2netdev-v-eth-01.txt"), "")),
        ],
        bins={"rdma": RDMA, "ibstat": IBSTAT, "ibdev2netdev": I2N},
    )
    names = [d["name"] for d in r["devices"]]
    assert names == sorted(names) and "rocep6s0f1" in names and "mlx5_7" in names
    mlx5_0 = next(d for d in r["devices"] if d["name"] == "mlx5_0")
    assert mlx5_0["pci_address"] == "0000:02:00.0"
    assert mlx5_0["ports"][0]["link_layer"] == "Ethernet"
    assert r["netns"] == "exclusive"
    assert r["sources"] == ["rdma system", "rdma dev", "rdma link", "ibstat", "ibdev2netdev -v"]


def test_sysfs_only(tmp_path):
    root = make_sysfs(tmp_path)
    r = run({"sysfs_root": str(root), "use_tools": False}, bins={"rdma": RDMA, "ofed_info": OFED})
    assert r.calls == []
    assert r["driver"] == {"stack": None, "version": None}
    assert r["rdma_system"]["netns"] == "exclusive"
    assert len(r["devices"]) == 3
