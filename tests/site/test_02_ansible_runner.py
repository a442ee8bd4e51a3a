"""site.yml through ansible-runner (AWX's engine) against the lab: the job converges it and its
artifacts hold what AWX shows (status, rc, stdout, job events) and the summary's set_stats."""

from __future__ import annotations

import json

import ansible_runner
from _sitelab import HOSTS, IB_HOST, REPO, ROCE_HOST, VENV_BIN, ansible_env, host_snapshot, node_unschedulable


def test_site_through_ansible_runner(site_lab):
    private = site_lab.tmp / "runner"
    private.mkdir()
    env = ansible_env()
    envvars = {k: env[k] for k in ("ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_CONNECTION_PLUGINS", "ANSIBLE_PIPELINING")}
    # ansible-runner calls ansible-playbook by name, as in an execution environment
    envvars["PATH"] = f"{VENV_BIN}:{env['PATH']}"
    r = ansible_runner.run(
        private_data_dir=str(private),
        project_dir=str(REPO / "playbooks"),
        playbook="site.yml",
        inventory=str(site_lab.inventory),
        envvars=envvars,
        ident="site",
        quiet=True,
        timeout=1500,
    )
    artifacts = private / "artifacts" / "site"
    stdout = (artifacts / "stdout").read_text()
    assert r.status == "successful", stdout[-6000:]
    assert r.rc == 0
    assert (artifacts / "rc").read_text().strip() == "0"
    assert (artifacts / "status").read_text().strip() == "successful"
    assert "PLAY RECAP" in stdout
    events = [json.loads(p.read_text()) for p in sorted((artifacts / "job_events").glob("*.json"))]
    kinds = {e["event"] for e in events}
    assert {"playbook_on_start", "playbook_on_play_start", "runner_on_ok", "playbook_on_stats"} <= kinds
    assert "runner_on_failed" not in kinds and "runner_on_unreachable" not in kinds
    # the reboot of the IB host is a job event AWX shows
    assert any(
        e["event"] == "runner_on_ok"
        and e["event_data"].get("task") == "Reboot to apply pending changes"
        and e["event_data"].get("host") == IB_HOST
        and e["event_data"]["res"].get("rebooted")
        for e in events
    )
    # set_stats of summary.yml: AWX's artifacts of the job
    stats = next(e for e in events if e["event"] == "playbook_on_stats")
    summary = stats["event_data"]["artifact_data"]["rdmaops_summary"]["hosts"]
    assert set(summary) == set(HOSTS)
    assert summary[IB_HOST]["netns"] == "exclusive" and summary[IB_HOST]["vfs"] == 8
    assert int(summary[IB_HOST]["reboots"]) == 1 and summary[IB_HOST]["pending_reboot"] == []
    assert summary[ROCE_HOST]["netns"] == "shared"
    assert {"failures": {}, "dark": {}}.items() <= {k: r.stats[k] for k in ("failures", "dark")}.items()
    # the lab itself: converged, rebooted once, every node schedulable again
    assert host_snapshot(IB_HOST)["boot_count"] == 1
    assert not any(node_unschedulable(site_lab.kubeconfig, h) for h in HOSTS)
