"""Re-runs of the host phase on the lab converged by test_02 (issue 10): a converged host costs one
task, a host that drifted converges in full and names what drifted, and a full run of the roles
on a host the record calls converged changes nothing (the record does not hide work)."""

from __future__ import annotations

import re

from _sitelab import HOSTS, IB_HOST, ROCE_HOST, host_snapshot, play_recap, podman

MODULES_LOAD = "/etc/modules-load.d/rdmaops-mofed.conf"
RECORD = "/var/lib/rdmaops/converged.json"


def _reasons(out: str) -> dict[str, str]:
    """host -> reason of the converged check (`-v` output of rdmaops.fabric.converged_state)."""
    return dict(re.findall(r'ok: \[([\w-]+)\] => \{.*?"reason": "([^"]*)"', out))


def test_converged_hosts_cost_one_task_each(site_lab):
    before = {h: host_snapshot(h, (MODULES_LOAD, RECORD)) for h in HOSTS}
    r = site_lab.playbook("hosts.yml", "-v")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    recap = play_recap(out)
    for host in HOSTS:
        # fact gathering + the check; the include of the roles is skipped
        assert recap[host]["ok"] == 2 and recap[host]["changed"] == 0 and recap[host]["skipped"] == 1, recap
    assert _reasons(out) == {h: "" for h in HOSTS}
    assert {h: host_snapshot(h, (MODULES_LOAD, RECORD)) for h in HOSTS} == before


def test_drifted_host_converges_in_full_and_the_other_does_not(site_lab):
    podman("exec", ROCE_HOST, "rm", MODULES_LOAD)
    r = site_lab.playbook("hosts.yml", "-v")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    reasons = _reasons(out)
    assert reasons[IB_HOST] == ""
    assert reasons[ROCE_HOST].startswith(f"mofed: {MODULES_LOAD} changed (sha256:"), reasons
    assert reasons[ROCE_HOST].endswith("-> missing)")
    recap = play_recap(out)
    assert recap[IB_HOST]["ok"] == 2
    assert recap[ROCE_HOST]["ok"] > 50 and recap[ROCE_HOST]["changed"] >= 2, recap  # the file, the new record
    assert podman("exec", ROCE_HOST, "test", "-f", MODULES_LOAD, check=False).returncode == 0
    # and the next run finds both converged again
    again = site_lab.playbook("hosts.yml")
    recap = play_recap(again.stdout)
    assert again.returncode == 0 and all(recap[h]["ok"] == 2 for h in HOSTS), again.stdout[-3000:]


def test_full_run_on_converged_hosts_changes_nothing(site_lab):
    before = {h: host_snapshot(h) for h in HOSTS}
    r = site_lab.playbook("hosts.yml", extra={"rdmaops_skip_converged_hosts": False})
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    recap = play_recap(out)
    assert all(recap[h]["changed"] == 0 and recap[h]["ok"] > 50 for h in HOSTS), recap
    assert {h: host_snapshot(h) for h in HOSTS} == before
    # the run switch is not an input: the record still holds afterwards
    again = site_lab.playbook("hosts.yml")
    assert all(play_recap(again.stdout)[h]["ok"] == 2 for h in HOSTS), again.stdout[-3000:]
