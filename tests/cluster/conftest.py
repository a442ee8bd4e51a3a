"""Fixtures for tests against the lab's real Kubernetes control plane (lab/k8s).

`k8s_lab` (session): runs lab/k8s/up (which builds the binaries on first use and is a fast
no-op when the control plane is already up) and, at the end of the session, lab/k8s/down -
but only if a pytest session started it and no other pytest process (e.g. another xdist
worker) still uses it. A control plane you started by hand is reused and left running.
Set LAB_K8S_KEEP=1 to leave a pytest-started control plane running.
"""

from __future__ import annotations

import fcntl
import json
import os

import pytest
from _clusterlab import LAB, UP_TIMEOUT, Lab, k8slab, run_lab  # noqa: F401


class _Users:
    """Who uses the shared control plane: one file per pytest process, under a lock."""

    def __init__(self, paths: k8slab.Paths):
        self.dir = paths.state.parent / f".{paths.state.name}-pytest-users"
        self.lockfile = paths.state.parent / f".{paths.state.name}-pytest.lock"
        self.marker = self.dir / "started-by-pytest"
        self.me = self.dir / str(os.getpid())

    def __enter__(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.lockfile, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)

    def others_alive(self) -> bool:
        for f in self.dir.iterdir():
            if f.name.isdigit() and f != self.me:
                if k8slab.pid_alive(int(f.name)):
                    return True
                f.unlink(missing_ok=True)
        return False


@pytest.fixture(scope="session")
def k8s_lab() -> Lab:
    paths = k8slab.Paths(os.environ.get("LAB_K8S_STATE_DIR"), os.environ.get("LAB_K8S_KUBECONFIG"))
    users = _Users(paths)
    with users:
        was_up = run_lab("status", "--quiet", check=False).returncode == 0
        run_lab("up", timeout=UP_TIMEOUT)
        if not was_up:
            users.dir.mkdir(parents=True, exist_ok=True)
            users.marker.touch()
        elif not users.others_alive():
            users.marker.unlink(missing_ok=True)  # someone else's control plane: never ours to stop
        users.me.touch()
    state = json.loads(paths.state_file.read_text())
    yield Lab(
        kubeconfig=state["kubeconfig"],
        state_dir=paths.state,
        state=state,
        nodes=state["nodes"],
        versions=state["versions"],
    )
    with users:
        users.me.unlink(missing_ok=True)
        if users.marker.exists() and not users.others_alive() and os.environ.get("LAB_K8S_KEEP") != "1":
            users.marker.unlink()
            run_lab("down", timeout=120)


@pytest.fixture(scope="session")
def k8s_kubeconfig(k8s_lab: Lab) -> str:
    """Path of the admin kubeconfig of the running lab control plane."""
    return k8s_lab.kubeconfig


@pytest.fixture(scope="session")
def k8s_client(k8s_kubeconfig: str):
    """A kubernetes.client.ApiClient for the lab control plane."""
    from kubernetes import config

    api = config.new_client_from_config(config_file=k8s_kubeconfig)
    yield api
    api.close()
