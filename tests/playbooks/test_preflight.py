"""playbooks/preflight.yml, run by ansible-playbook against small inventories written here.

No real host and no API: every host uses the local connection and the preflight play only
reads variables (rdmaops_kubeconfig is left undefined, except in the one case that points it at
a closed port). Each bad inventory must fail once, before any other play, with every expected
problem in the output; the good one must pass, in check mode too.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
PREFLIGHT = str(REPO / "playbooks" / "preflight.yml")


def run_playbook(inventory: dict, tmp_path: Path, playbook: str = PREFLIGHT, *args: str):
    """ansible-playbook with inventory (a YAML inventory dict); returns (rc, combined output)."""
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".lab" / "collections"),
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "true",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "PATH": f"{VENV_BIN}:{env.get('PATH', '')}",
        }
    )
    env.pop("ANSIBLE_CONFIG", None)
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", str(path), *args, playbook],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    return proc.returncode, proc.stdout + proc.stderr


def problems_of(output: str) -> list[str]:
    """The problem lines of the failed assert ("msg": [...] in the default callback's JSON)."""
    match = re.search(r'"msg": \[\n(.*?)\n\s*\]', output, re.S)
    assert match, output
    lines = [line.strip().rstrip(",") for line in match.group(1).splitlines()]
    return [yaml.safe_load(line) for line in lines]


IB_NET = {
    "name": "ib-sriov-net",
    "type": "ib-sriov",
    "resource": "nvidia.com/mlnx_ib_vf",
    "ipam": {"type": "whereabouts", "range": "192.168.100.0/24", "range_start": "192.168.100.10"},
}
ROCE_NET = {
    "name": "rdma-net",
    "type": "macvlan",
    "master": "enp175s0f0np0",
    "resource": "rdma/hca_shared_devices",
    "ipam": {"type": "whereabouts", "range": "192.168.200.0/24", "range_start": "192.168.200.10"},
}


def good_inventory() -> dict:
    """The lab's shape: IB hosts exclusive with VFs and an SM pair, a RoCE host shared."""
    ib = {"netns_mode_netns": "exclusive", "rdma_shared_dp_enabled": False, "sriov_dp_enabled": True}
    return {
        "all": {
            "vars": {"ansible_connection": "local", "rdma_networks": [IB_NET, ROCE_NET], "rdmaops_serial": "50%"},
            "children": {
                "rdma_nodes": {
                    "hosts": {
                        "ib-1": {
                            **ib,
                            "sriov_firmware_nics": [{"device_id": "15b3:101b", "num_vfs": 8, "link_type": "ib"}],
                        },
                        "ib-2": {**ib, "sriov_firmware_nics": [{"netdev": "ibs1f0", "num_vfs": 4, "link_type": "ib"}]},
                        "roce-1": {"netns_mode_netns": "shared", "sriov_dp_enabled": False},
                    }
                },
                "opensm_nodes": {"hosts": {"ib-1": None, "ib-2": None}},
                "kube_node": {"hosts": {"ib-1": None, "ib-2": None, "roce-1": None}},
                "k8s_cluster": {"children": {"kube_node": None}},
            },
        }
    }


def hosts_of(inventory: dict) -> dict:
    return inventory["all"]["children"]["rdma_nodes"]["hosts"]


def bad_inventory() -> tuple[dict, list[str]]:
    """Host-role inputs, collection-wide values and cross-layer conflicts all wrong at once."""
    inventory = good_inventory()
    hosts = hosts_of(inventory)
    hosts["ib-1"].update(
        {
            "netns_mode_netns": "exclusive",
            "rdma_shared_dp_enabled": True,
            "mofed_source": "ofed",
            "opensm_priority": 15,
            "sriov_firmware_nics": [
                {"num_vfs": 300, "link_type": "infiniband"},
                {"device_id": "15b3:101b", "num_vfs": 8, "link_type": "ib"},
            ],
        }
    )
    hosts["ib-2"].update({"opensm_priority": 15, "rdmaops_k8s_node_name": "Bad_Name"})
    hosts["roce-1"]["netns_mode_netns"] = "bogus"
    inventory["all"]["vars"]["rdmaops_serial"] = "abc"
    inventory["all"]["vars"]["rdma_networks"] = [
        IB_NET,
        dict(ROCE_NET, master="ibs1f0", link_type="ethernet"),
        dict(IB_NET, name="roce-vf-net", type="sriov", resource="nvidia.com/mlnx_sriov_rdma"),
        dict(ROCE_NET, name="typo-net", resource="rdma/hca_shared_device"),
    ]
    inventory["all"]["children"]["opensm_nodes"]["hosts"]["sm-x"] = None
    expected = [
        "ib-1: mofed_source is 'ofed'; allowed: inbox, doca, mlnx_ofed",
        "ib-1: sriov_firmware_nics[0] selector is []; allowed: exactly one of pci, netdev, device_id",
        "ib-1: sriov_firmware_nics[0].num_vfs is 300; allowed: an integer from 0 (SR-IOV off) to 127",
        "ib-1: sriov_firmware_nics[0].link_type is 'infiniband'; allowed: eth or ib, or a list of them per port",
        "roce-1: netns_mode_netns is 'bogus'; allowed: shared, exclusive",
        "sm-x: group membership is 'opensm_nodes'; allowed: hosts of opensm_nodes that are also in rdma_nodes",
        "opensm fabric 'default': opensm_priority is 15; allowed: a distinct opensm_priority from 0 to 15",
        "rdmaops_serial is 'abc'; allowed: a host count >= 1, a percentage 1%-100%, or a list of them",
        "ib-2: rdmaops_k8s_node_name: must be a valid Kubernetes name",
        "ib-1: netns_mode_netns is 'exclusive'; allowed: shared on a host where rdma_shared_dp_enabled is true",
        "cluster [localhost]: rdma_networks[1].master is 'ibs1f0'; allowed: an Ethernet (RoCE) interface for type "
        "macvlan; on InfiniBand use host-device or ib-sriov (ibs1f0 is an InfiniBand port on ib-2",
        "cluster [localhost]: rdma_networks[2].resource is 'nvidia.com/mlnx_sriov_rdma'; allowed: a pool that gets "
        "VFs on some host",
        "cluster [localhost]: rdma_networks[3].resource is 'rdma/hca_shared_device'; allowed: a pool of "
        "rdma_shared_dp_resources or sriov_dp_resources",
    ]
    return inventory, expected


def assert_all_reported(rc: int, output: str, expected: list[str]) -> list[str]:
    assert rc != 0, output
    problems = problems_of(output)
    header, problems = problems[0], problems[1:]
    for text in expected:
        assert any(text in p for p in problems), f"{text!r} not reported; got:\n" + "\n".join(problems)
    assert header.startswith(
        f"rdmaops.fabric preflight: {len(problems)} problem(s) in the inventory; nothing was changed"
    )
    return problems


def test_good_inventory_passes_also_in_check_mode(tmp_path):
    rc, output = run_playbook(good_inventory(), tmp_path, PREFLIGHT, "--check")
    assert rc == 0, output
    assert "rdmaops.fabric preflight: no problem in the inventory" in output


def test_bad_inventory_reports_every_problem_at_once(tmp_path):
    inventory, expected = bad_inventory()
    rc, output = run_playbook(inventory, tmp_path)
    problems = assert_all_reported(rc, output, expected)
    # Exactly the planted problems, nothing invented on top.
    assert len(problems) == len(expected), "\n".join(problems)


def test_vf_pools_without_any_vf(tmp_path):
    inventory = good_inventory()
    for host in hosts_of(inventory).values():
        host.pop("sriov_firmware_nics", None)
    rc, output = run_playbook(inventory, tmp_path)
    assert_all_reported(
        rc,
        output,
        [
            "cluster [localhost]: sriov_dp_resources is ['nvidia.com/mlnx_ib_vf', 'nvidia.com/mlnx_sriov_rdma']; "
            "allowed: pools that select VFs on some host",
            "ib-1: sriov_dp_enabled is True; allowed: false on a host without VFs",
            "ib-2: sriov_dp_enabled is True; allowed: false on a host without VFs",
            "cluster [localhost]: rdma_networks[0].resource is 'nvidia.com/mlnx_ib_vf'; allowed: a pool that gets VFs",
        ],
    )


def test_unreachable_api_is_reported(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "closed",
                "clusters": [{"name": "closed", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "nobody", "user": {"token": "x"}}],
                "contexts": [{"name": "closed", "context": {"cluster": "closed", "user": "nobody"}}],
            }
        )
    )
    inventory = good_inventory()
    inventory["all"]["vars"].update(
        {"rdmaops_kubeconfig": str(kubeconfig), "ansible_python_interpreter": str(VENV_BIN / "python")}
    )
    rc, output = run_playbook(inventory, tmp_path)
    problems = assert_all_reported(
        rc,
        output,
        [
            f"cluster [localhost]: rdmaops_kubeconfig is '{kubeconfig}'; allowed: a kubeconfig of a reachable "
            "Kubernetes API, or rdmaops_kubeconfig undefined to skip the cluster checks (the API could not be read"
        ],
    )
    assert len(problems) == 1, problems


def test_rdmaops_preflight_false_skips_it(tmp_path):
    inventory, _ = bad_inventory()
    inventory["all"]["vars"]["rdmaops_preflight"] = False
    rc, output = run_playbook(inventory, tmp_path)
    assert rc == 0, output
    assert "problem(s) in the inventory" not in output


def test_site_by_fqcn_stops_after_a_failed_preflight(tmp_path):
    inventory, expected = bad_inventory()
    rc, output = run_playbook(inventory, tmp_path, "rdmaops.fabric.site", "--check")
    assert_all_reported(rc, output, expected)
    plays = re.findall(r"^PLAY \[(.*?)\]", output, re.M)
    assert plays == ["Preflight | validate the whole inventory"], output


def test_uninstall_by_fqcn_runs_the_preflight_for_removal(tmp_path):
    # Conflicts that only matter when deploying do not block a removal; a bad type still does.
    inventory, _ = bad_inventory()
    hosts = hosts_of(inventory)
    hosts["ib-1"]["mofed_source"] = "inbox"
    hosts["ib-1"]["sriov_firmware_nics"] = [{"device_id": "15b3:101b", "num_vfs": 8, "link_type": "ib"}]
    hosts["ib-2"].pop("rdmaops_k8s_node_name")
    hosts["roce-1"]["netns_mode_netns"] = "shared"
    inventory["all"]["vars"]["rdmaops_serial"] = 1
    inventory["all"]["children"]["opensm_nodes"]["hosts"].pop("sm-x")
    rc, output = run_playbook(inventory, tmp_path, "rdmaops.fabric.uninstall", "--tags", "preflight")
    assert rc == 0, output
    assert "rdmaops.fabric preflight: no problem in the inventory" in output

    hosts["roce-1"]["mofed_state"] = "removed"
    rc, output = run_playbook(inventory, tmp_path, "rdmaops.fabric.uninstall", "--tags", "preflight")
    problems = assert_all_reported(rc, output, ["roce-1: mofed_state is 'removed'; allowed: present, absent"])
    assert len(problems) == 1, problems


@pytest.mark.parametrize("playbook", ["rdmaops.fabric.site", "rdmaops.fabric.uninstall", "rdmaops.fabric.preflight"])
def test_collection_playbooks_resolve_by_fqcn(tmp_path, playbook):
    rc, output = run_playbook(good_inventory(), tmp_path, playbook, "--syntax-check")
    assert rc == 0, output
    assert f"ansible_collections/rdmaops/fabric/playbooks/{playbook.split('.')[-1]}.yml" in output
