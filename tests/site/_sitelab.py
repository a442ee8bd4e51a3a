"""Helpers of tests/site: the small lab (two podman hosts, a private control plane) and runs."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
IB_HOST = "site-ib-1"
ROCE_HOST = "site-roce-1"
HOSTS = (IB_HOST, ROCE_HOST)
IB_PF = "0000:ca:00.0"  # hwsim profile cx7-ib


def ansible_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(REPO / ".lab" / "collections"),
        ANSIBLE_CONNECTION_PLUGINS=str(REPO / "lab" / "ansible" / "connection_plugins"),
        ANSIBLE_PIPELINING="True",
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
    )
    return env


@dataclass
class SiteLab:
    inventory: Path
    kubeconfig: str
    tmp: Path

    def playbook(self, playbook: str, *args: str, extra: dict | None = None, timeout: float = 900):
        """ansible-playbook PLAYBOOK against the site lab; returns the CompletedProcess (text)."""
        cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(self.inventory), str(REPO / "playbooks" / playbook), *args]
        if extra:
            cmd += ["-e", json.dumps(extra)]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=ansible_env(), cwd=REPO)


def podman(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    r = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed ({r.returncode}): {r.stdout}{r.stderr}")
    return r


def hwsim(host: str, *args: str, check: bool = True) -> str:
    return podman("exec", host, "hwsim", *args, check=check).stdout


def host_snapshot(host: str, files: tuple[str, ...] = ()) -> dict:
    """What a run may change on a host: hwsim's state (firmware tables, VFs, netns, boots) and files."""
    state = json.loads(podman("exec", host, "cat", "/var/lib/hwsim/state.json").stdout)
    state.pop("summary", None)
    nics = {
        nic["bdf"]: {
            "params": {n: [p.get("default"), p.get("current"), p.get("next")] for n, p in nic["params"].items()},
            "numvfs": [f.get("sriov_numvfs") for f in nic["functions"]],
        }
        for nic in state["nics"]
    }
    runtime = state["runtime"]
    # one checksum per path over every file under it ("absent" when it does not exist)
    script = (
        'for f in "$@"; do if [ -e "$f" ]; then '
        'echo "$f $(find "$f" -type f -exec md5sum {} + | sort | md5sum)"; else echo "$f absent"; fi; done'
    )
    listing = podman("exec", host, "sh", "-c", script, "sh", *files).stdout if files else ""
    return {
        "nics": nics,
        "boot_count": runtime.get("boot_count"),
        "netns": runtime.get("netns"),
        "netns_persistent": runtime.get("netns_persistent"),
        "loaded_modules": sorted(runtime.get("loaded_modules") or []),
        "boots": hwsim(host, "boots", "--count").strip(),
        "files": listing,
    }


def node_unschedulable(kubeconfig: str, name: str) -> bool:
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=kubeconfig)
    try:
        return bool(client.CoreV1Api(api).read_node(name).spec.unschedulable)
    finally:
        api.close()


def set_unschedulable(kubeconfig: str, name: str, value: bool) -> None:
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=kubeconfig)
    try:
        client.CoreV1Api(api).patch_node(name, {"spec": {"unschedulable": value}})
    finally:
        api.close()


def play_recap(out: str) -> dict[str, dict[str, int]]:
    """{host: {"ok": n, "changed": n, "failed": n, ...}} from the PLAY RECAP of a run."""
    recap: dict[str, dict[str, int]] = {}
    for line in out.split("PLAY RECAP", 1)[-1].splitlines():
        host, sep, counts = line.partition(" : ")
        if sep:
            recap[host.strip()] = {k: int(v) for k, v in (c.split("=") for c in counts.split())}
    return recap


def wait_booted(host: str, timeout: float = 120) -> None:
    """Until systemd in the lab host has finished booting (after a podman restart)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = podman("exec", host, "systemctl", "is-system-running", check=False).stdout.strip()
        if state not in ("", "initializing", "starting"):
            return
        time.sleep(1)
    raise AssertionError(f"{host} did not finish booting within {timeout} s")


class KubeApi:
    """The few real-API calls of the fault tests: a ReplicaSet's pod on a node, guarded by a
    PodDisruptionBudget (a bare pod would be refused by the drain for another reason)."""

    def __init__(self, kubeconfig: str, namespace: str = "default"):
        from kubernetes import client, config

        self._api = config.new_client_from_config(config_file=kubeconfig)
        self.core = client.CoreV1Api(self._api)
        self.apps = client.AppsV1Api(self._api)
        self.policy = client.PolicyV1Api(self._api)
        self.namespace = namespace

    @staticmethod
    def server(kubeconfig: str) -> str:
        import yaml

        return yaml.safe_load(Path(kubeconfig).read_text())["clusters"][0]["cluster"]["server"]

    def guarded_pod(self, node: str, name: str, timeout: float = 60) -> None:
        labels = {"app": name}
        pod_spec = {
            "nodeName": node,
            "containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10"}],
            "tolerations": [{"operator": "Exists"}],
        }
        self.apps.create_namespaced_replica_set(
            self.namespace,
            {
                "metadata": {"name": name},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": labels}, "spec": pod_spec},
                },
            },
        )
        self.policy.create_namespaced_pod_disruption_budget(
            self.namespace,
            {"metadata": {"name": name}, "spec": {"minAvailable": 1, "selector": {"matchLabels": labels}}},
        )
        deadline = time.monotonic() + timeout
        while not self.pod_running(name):
            if time.monotonic() > deadline:
                raise AssertionError(f"the pod of ReplicaSet {name} is not Running after {timeout} s")
            time.sleep(1)

    def _pods(self, name: str):
        return self.core.list_namespaced_pod(self.namespace, label_selector=f"app={name}").items

    def pod_running(self, name: str) -> bool:
        return any(p.status.phase == "Running" and not p.metadata.deletion_timestamp for p in self._pods(name))

    def remove_guarded_pod(self, name: str) -> None:
        from kubernetes.client.exceptions import ApiException

        for delete in (
            lambda: self.policy.delete_namespaced_pod_disruption_budget(name, self.namespace),
            lambda: self.apps.delete_namespaced_replica_set(name, self.namespace),
            lambda: self.core.delete_collection_namespaced_pod(
                self.namespace, label_selector=f"app={name}", grace_period_seconds=0
            ),
        ):
            try:
                delete()
            except ApiException as e:
                if e.status != 404:
                    raise

    def close(self) -> None:
        self._api.close()
