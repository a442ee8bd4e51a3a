"""Print `name profile` for each host of group rdma_nodes in a lab inventory (YAML).

The lab scripts need the host list before any container exists, so this reads the
inventory file directly instead of asking ansible-inventory (which would also try to
resolve the podman connection).
"""

from __future__ import annotations

import sys

import yaml


def rdma_hosts(inventory: dict) -> dict[str, str]:
    group = inventory.get("all", {}).get("children", {}).get("rdma_nodes", {})
    hosts = group.get("hosts") or {}
    return {name: (hvars or {}).get("hwsim_profile", "cx6-vpi-ib") for name, hvars in hosts.items()}


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        for host, profile in rdma_hosts(yaml.safe_load(f)).items():
            print(host, profile)
