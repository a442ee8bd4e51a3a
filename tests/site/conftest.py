"""The site lab of tests/site: two podman hosts and a private control plane, shared by the suite.

`site_lab` (session) removes and recreates this suite's own two containers (a fresh lab),
starts a private lab/k8s control plane whose kwok nodes carry the same names, writes a small
inventory shaped like inventories/lab into a temp dir, and removes all of it at the end
(SITE_LAB_KEEP=1 leaves it). Other labs' containers and control planes are never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml
from _sitelab import HOSTS, IB_HOST, REPO, ROCE_HOST, VENV_BIN, SiteLab, podman

LAB_INVENTORY = REPO / "inventories" / "lab"


def _inventory(root, kubeconfig: str) -> None:
    (root / "group_vars" / "all").mkdir(parents=True)
    (root / "host_vars").mkdir()
    hosts = {
        "all": {
            "children": {
                "rdma_nodes": {
                    "hosts": {IB_HOST: {"hwsim_profile": "cx7-ib"}, ROCE_HOST: {"hwsim_profile": "cx5ex-roce"}},
                    "vars": {"ansible_connection": "podman", "ansible_python_interpreter": "/usr/bin/python3"},
                },
                "opensm_nodes": {"hosts": {IB_HOST: None}},
                "kube_node": {"hosts": {IB_HOST: None, ROCE_HOST: None}},
                "kube_control_plane": {
                    "hosts": {
                        "site-control-plane": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                        }
                    }
                },
                "k8s_cluster": {"children": {"kube_control_plane": None, "kube_node": None}},
            }
        }
    }
    (root / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    lab_vars = yaml.safe_load((LAB_INVENTORY / "group_vars" / "all" / "lab.yml").read_text())
    lab_vars.update(
        rdmaops_kubeconfig=kubeconfig,
        rdmaops_summary_file=str(root / "summary.json"),
        rdmaops_reboot_timeout=120,
    )
    (root / "group_vars" / "all" / "lab.yml").write_text(yaml.safe_dump(lab_vars, sort_keys=False))
    shutil.copy(LAB_INVENTORY / "group_vars" / "all" / "rdma.yml", root / "group_vars" / "all" / "rdma.yml")
    # the lab's host vars: an exclusive-mode InfiniBand host with firmware VFs, a shared-mode RoCE host
    shutil.copy(LAB_INVENTORY / "host_vars" / "rdma-ib-2.yml", root / "host_vars" / f"{IB_HOST}.yml")
    shutil.copy(LAB_INVENTORY / "host_vars" / "rdma-roce-1.yml", root / "host_vars" / f"{ROCE_HOST}.yml")


def _remove_hosts() -> None:
    for host in HOSTS:
        podman("rm", "-f", "-t", "0", host, check=False)


@pytest.fixture(scope="session")
def site_lab(tmp_path_factory) -> SiteLab:
    if shutil.which("podman") is None or not (REPO / ".lab" / "node-image").is_file():
        pytest.fail("tests/site needs podman and the lab node image (make lab-image)", pytrace=False)
    tmp = tmp_path_factory.mktemp("site")
    k8s_env = dict(
        os.environ,
        LAB_K8S_STATE_DIR=str(tmp / "k8s"),
        LAB_K8S_KUBECONFIG=str(tmp / "kubeconfig"),
        LAB_K8S_NODES=" ".join(HOSTS),
    )
    _remove_hosts()  # a fresh lab: no hwsim state left from an earlier session
    inventory = tmp / "inventory"
    _inventory(inventory, str(tmp / "kubeconfig"))
    up = subprocess.run([str(REPO / "lab/k8s/up")], capture_output=True, text=True, timeout=3600, env=k8s_env)
    assert up.returncode == 0, f"lab/k8s/up failed:\n{up.stdout}\n{up.stderr}"
    hosts = subprocess.run(
        [str(REPO / "lab/hosts/up"), str(inventory / "hosts.yml")], capture_output=True, text=True, timeout=600
    )
    assert hosts.returncode == 0, f"lab/hosts/up failed:\n{hosts.stdout}\n{hosts.stderr}"
    yield SiteLab(inventory=inventory / "hosts.yml", kubeconfig=str(tmp / "kubeconfig"), tmp=tmp)
    if os.environ.get("SITE_LAB_KEEP") != "1":
        subprocess.run([str(REPO / "lab/k8s/down")], capture_output=True, text=True, timeout=300, env=k8s_env)
        _remove_hosts()


@pytest.fixture(scope="session")
def ansible_runner_bin():
    return VENV_BIN
