"""playbooks/preflight.yml against the real API: Kubernetes node names that are not Nodes.

One kubernetes.core.k8s_info read of the lab's Nodes; hosts whose name (rdmaops_k8s_node_name,
else the inventory hostname) is not among them are reported, together, and a host that is a
Node is not.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"


def test_node_names_missing_from_the_api_are_reported(k8s_lab, tmp_path):
    real = k8s_lab.nodes[0]
    hosts = {real: {}, "ghost-1": {}, "renamed-1": {"rdmaops_k8s_node_name": "no-such-node"}}
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": str(VENV_BIN / "python"),
                "rdmaops_kubeconfig": k8s_lab.kubeconfig,
                # Only the node names are under test: no cluster role, so no device-plugin checks.
                "rdmaops_cluster_roles": [],
            },
            "children": {
                "rdma_nodes": {"hosts": dict.fromkeys(hosts)},
                "kube_node": {"hosts": hosts},
                "kube_control_plane": {"hosts": {"cp": None}},
                "k8s_cluster": {"children": {"kube_node": None, "kube_control_plane": None}},
            },
        }
    }
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".lab" / "collections"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "PATH": f"{VENV_BIN}:{env.get('PATH', '')}",
        }
    )
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", str(tmp_path / "hosts.yml"), "rdmaops.fabric.preflight"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "ok: [localhost -> cp]" in output, output  # the one API read, from the control-plane host
    match = re.search(r'"msg": \[\n(.*?)\n\s*\]', output, re.S)
    assert match, output
    problems = [yaml.safe_load(line.strip().rstrip(",")) for line in match.group(1).splitlines()][1:]
    assert len(problems) == 2, problems
    assert problems[0].startswith(
        "ghost-1: rdmaops_k8s_node_name is 'ghost-1'; allowed: the name of a Node of the API ("
    )
    assert problems[1].startswith("renamed-1: rdmaops_k8s_node_name is 'no-such-node'; allowed: the name of a Node")
    for problem in problems:
        assert real in problem  # the API's own node list is offered as the allowed values
        assert "the Kubernetes API has no Node of that name" in problem
