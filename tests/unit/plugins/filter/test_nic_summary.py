from __future__ import annotations

from ansible_collections.rdmaops.fabric.plugins.filter.nic_summary import FilterModule, nic_summary


def test_dual_port_ib_with_vfs():
    device = {
        "name": "mlx5_0",
        "pci_address": "0000:3b:00.0",
        "fw_version": "20.39.1002",
        "sriov_totalvfs": 16,
        "sriov_numvfs": 8,
        "ports": [
            {"port": 2, "link_layer": "Ethernet", "state": "DOWN"},
            {"port": 1, "link_layer": "InfiniBand", "state": "ACTIVE"},
        ],
    }
    summary = nic_summary(device)
    assert summary["link_layers"] == ["IB", "ETH"]
    assert summary["port_states"] == ["ACTIVE", "DOWN"]
    assert summary["line"] == "0000:3b:00.0 mlx5_0 fw 20.39.1002 IB/ETH ACTIVE/DOWN vfs 8/16"


def test_device_without_sriov_or_ports():
    summary = nic_summary({"name": "mlx5_2", "pci_address": "0000:af:00.0", "fw_version": None, "ports": None})
    assert summary["line"] == "0000:af:00.0 mlx5_2 fw ? - -"
    assert summary["sriov_totalvfs"] is None


def test_unknown_link_layer_is_kept():
    summary = nic_summary({"ports": [{"port": 1, "link_layer": "OmniPath", "state": None}]})
    assert summary["link_layers"] == ["OmniPath"]
    assert summary["port_states"] == ["?"]


def test_registered_name():
    assert FilterModule().filters() == {"nic_summary": nic_summary}
