"""Run rdmaops.fabric roles with ansible-playbook against the lab control plane (tests/cluster)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

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
