"""Faults on the lab converged by test_02 (issue 9): each one fails cleanly, alone, with one clear
message, and undoes nothing already converged.

The reboot-needing change is firmware drift, not an inventory edit: hwsim sets NUM_OF_VFS of the
IB host's NIC to 16 (current and next boot), as if somebody had raised it and rebooted; the host
phase sets it back to 8, which needs a reboot, and so a drain. See docs/faults.md.
"""

from __future__ import annotations

import time

import pytest
from _sitelab import (
    IB_HOST,
    IB_PF,
    ROCE_HOST,
    KubeApi,
    host_snapshot,
    hwsim,
    node_unschedulable,
    play_recap,
    podman,
    wait_booted,
)

FAULT_STDERR = "-E- Failed to set configuration: simulated device error"


@pytest.fixture(scope="module")
def drifted(site_lab):
    """The IB host's firmware drifted (NUM_OF_VFS 16 instead of 8) and its node is schedulable."""
    hwsim(IB_HOST, "fw", "set", "--nic", IB_PF, "NUM_OF_VFS=16")
    return site_lab


def test_firmware_tool_failing_mid_run_fails_that_host_alone(drifted):
    before = {h: host_snapshot(h) for h in (IB_HOST, ROCE_HOST)}
    # the query works, the write fails: the host is half-way through its firmware role
    hwsim(IB_HOST, "fault", "set", "tool_error", "mlxconfig", "--match", "set", "--rc", "3", "--stderr", FAULT_STDERR)
    try:
        r = drifted.playbook("hosts.yml", extra={"rdmaops_serial": 2, "rdmaops_max_fail_percentage": 50})
    finally:
        hwsim(IB_HOST, "fault", "clear", "tool_error")
    out = r.stdout + r.stderr
    recap = play_recap(out)
    assert r.returncode != 0, out[-4000:]
    assert recap[IB_HOST]["failed"] == 1, out[-4000:]
    # the other host of the batch went on to the end of the play, within max_fail_percentage
    assert recap[ROCE_HOST]["failed"] == 0 and recap[ROCE_HOST]["unreachable"] == 0, out[-4000:]
    assert "NO MORE HOSTS LEFT" not in out
    assert FAULT_STDERR in out
    # nothing converged was undone, the failed write changed nothing, no node was cordoned
    assert {h: host_snapshot(h) for h in (IB_HOST, ROCE_HOST)} == before
    assert not node_unschedulable(drifted.kubeconfig, IB_HOST)


def test_drain_blocked_by_a_disruption_budget_times_out_cleanly(drifted):
    api = KubeApi(drifted.kubeconfig)
    api.guarded_pod(IB_HOST, "pdb-guard")
    before = host_snapshot(IB_HOST)
    try:
        started = time.monotonic()
        r = drifted.playbook("hosts.yml", "--limit", IB_HOST, extra={"rdmaops_drain_timeout": 15})
        took = time.monotonic() - started
        out = r.stdout + r.stderr
        assert r.returncode != 0, out[-4000:]
        assert "disruption budget" in out, out[-4000:]
        assert f"Node {IB_HOST} stays cordoned" in out
        assert node_unschedulable(drifted.kubeconfig, IB_HOST)
        assert api.pod_running("pdb-guard"), "the guarded pod must keep running"
        # no reboot: the drift fix waits in the firmware's next-boot value
        after = host_snapshot(IB_HOST)
        assert after["boot_count"] == before["boot_count"]
        assert after["nics"][IB_PF]["params"]["NUM_OF_VFS"][1:] == [16, 8]
        assert took < 240, f"hosts.yml took {took:.0f} s with rdmaops_drain_timeout 15"
    finally:
        api.remove_guarded_pod("pdb-guard")
        api.close()


def test_host_that_never_returns_times_out_and_stays_cordoned(drifted):
    roce_before = host_snapshot(ROCE_HOST)
    hwsim(IB_HOST, "fault", "set", "boot_hang", "3600")
    try:
        r = drifted.playbook("hosts.yml", "--limit", IB_HOST, extra={"rdmaops_reboot_timeout": 20})
        out = r.stdout + r.stderr
        assert r.returncode != 0, out[-4000:]
        assert "after 20 s (rdmaops_reboot_timeout)" in out, out[-4000:]
        assert f"Node {IB_HOST} stays cordoned" in out
        assert node_unschedulable(drifted.kubeconfig, IB_HOST)
    finally:
        hwsim(IB_HOST, "fault", "clear", "boot_hang")
        podman("restart", "-t", "0", IB_HOST)
        wait_booted(IB_HOST)
    assert host_snapshot(ROCE_HOST) == roce_before
    # fixed and run again: the drift fix took at that boot, nothing reboots, the node the
    # collection cordoned is uncordoned
    r = drifted.playbook("hosts.yml", "--limit", IB_HOST)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    after = host_snapshot(IB_HOST)
    assert after["nics"][IB_PF]["params"]["NUM_OF_VFS"][1:] == [8, 8]
    assert 8 in after["nics"][IB_PF]["numvfs"], after["nics"][IB_PF]  # the VFs are back after that boot
    assert not node_unschedulable(drifted.kubeconfig, IB_HOST)


def test_api_server_down_fails_after_bounded_retries(site_lab):
    kubeconfig = site_lab.tmp / "kubeconfig-closed-port"
    kubeconfig.write_text(
        (site_lab.tmp / "kubeconfig").read_text().replace(KubeApi.server(site_lab.kubeconfig), "https://127.0.0.1:9")
    )
    started = time.monotonic()
    r = site_lab.playbook(
        "cluster.yml",
        extra={"rdmaops_kubeconfig": str(kubeconfig), "rdmaops_api_retries": 2, "rdmaops_api_retry_delay": 2},
    )
    took = time.monotonic() - started
    out = r.stdout + r.stderr
    assert r.returncode != 0, out[-4000:]
    assert "Kubernetes API server unreachable (gave up after 2 retries 2 s apart" in out, out[-4000:]
    assert "Nothing was changed in the cluster" in out
    assert "Cluster | component roles" not in out
    assert took < 90, f"cluster.yml took {took:.0f} s to give up"
