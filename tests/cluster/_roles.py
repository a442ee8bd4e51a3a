"""Run rdmaops.fabric roles with ansible-playbook against the lab control plane (tests/cluster)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
PLAYBOOK = Path(__file__).resolve().parent / "playbooks" / "role.yml"


def run_role(role: str, kubeconfig: str, extra: dict | None = None, args: tuple[str, ...] = (), timeout: float = 600):
    """ansible-playbook running one role on localhost; returns the CompletedProcess (text)."""
    variables = {"cluster_test_role": role, "rdmaops_kubeconfig": kubeconfig, **(extra or {})}
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".lab" / "collections"),
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "true",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "yaml",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "PATH": f"{VENV_BIN}:{env.get('PATH', '')}",
        }
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(variables, f)
    try:
        return subprocess.run(
            [
                str(VENV_BIN / "ansible-playbook"),
                "-i",
                "localhost,",
                "-c",
                "local",
                "-e",
                f"ansible_python_interpreter={VENV_BIN / 'python'}",
                "-e",
                f"@{f.name}",
                *args,
                str(PLAYBOOK),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=REPO,
        )
    finally:
        os.unlink(f.name)


def token_kubeconfig(admin_kubeconfig: str, token: str, path: Path, namespace: str | None = None) -> str:
    """Write a kubeconfig for the lab API server that authenticates with a bearer token.

    `namespace` becomes the context's default namespace (the CNI plugins rely on it).

    The bad-input tests run roles with a read-only ServiceAccount's token: a role that tried
    to write before validating would get Forbidden instead of its own error message.
    """
    admin = yaml.safe_load(Path(admin_kubeconfig).read_text())
    cluster = dict(admin["clusters"][0]["cluster"])
    if "certificate-authority" in cluster:
        ca = Path(cluster.pop("certificate-authority")).read_bytes()
        cluster["certificate-authority-data"] = base64.b64encode(ca).decode()
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "reader",
                "clusters": [{"name": "lab", "cluster": cluster}],
                "users": [{"name": "reader", "user": {"token": token}}],
                "contexts": [
                    {
                        "name": "reader",
                        "context": {
                            "cluster": "lab",
                            "user": "reader",
                            **({"namespace": namespace} if namespace else {}),
                        },
                    }
                ],
            }
        )
    )
    return str(path)
