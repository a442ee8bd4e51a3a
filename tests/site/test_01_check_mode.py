"""`site.yml --check --diff` on a fresh lab prints the plan and changes nothing."""

from __future__ import annotations

from _sitelab import HOSTS, IB_HOST, IB_PF, host_snapshot, node_unschedulable

# Everything the host roles write (modprobe.d, modules-load.d, the VF script and unit, opensm).
ROLE_FILES = (
    "/etc/modprobe.d",
    "/etc/modules-load.d",
    "/etc/rdmaops",
    "/usr/local/libexec/rdmaops",
    "/etc/systemd/system",
    "/etc/opensm",
)


def test_check_mode_prints_the_plan_and_changes_nothing(site_lab):
    before = {h: host_snapshot(h, ROLE_FILES) for h in HOSTS}
    r = site_lab.playbook("site.yml", "--check", "--diff")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-6000:]
    after = {h: host_snapshot(h, ROLE_FILES) for h in HOSTS}
    assert after == before
    assert before[IB_HOST]["boot_count"] == 0
    # the firmware plan: before (default/current/next) and after (desired) per NIC
    plan = f"{IB_PF} (changed), reboot required: SRIOV_EN default=False current=False next_boot=False desired=True"
    assert plan in out
    assert "NUM_OF_VFS default=0 current=0 next_boot=0 desired=8" in out
    # the reboot that would happen, with the drain and uncordon around it
    assert f"{IB_HOST} would cordon and drain node {IB_HOST}, reboot once for:" in out
    assert f"and uncordon {IB_HOST}." in out
    # file diffs of what the roles would write
    assert "+++ after" in out
    # check mode cordons nothing in the real API
    assert not any(node_unschedulable(site_lab.kubeconfig, h) for h in HOSTS)
