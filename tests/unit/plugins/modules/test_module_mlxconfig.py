# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rdmaops.fabric.mlxconfig with run_command scripted as an ordered list of (argv, output)."""

from __future__ import annotations

import pytest
from ansible_collections.rdmaops.fabric.plugins.modules import mlxconfig
from module_harness import run_module
from sample_io import sample

MLX = "/usr/bin/mlxconfig"
MST = "/usr/bin/mstconfig"
DEV = "0000:af:00.0"
BINS = {"mlxconfig": MLX, "mstconfig": MST}

E_QUERY = """
Device #1:
----------

Device type:        ConnectX5           
Name:               MCX556A-ECA_Ax      
Description:        ConnectX-5 VPI adapter card; EDR IB (100Gb/s) and 100GbE; dual-port QSFP28; PCIe3.0 x16
Device:             0000:af:00.0        

Configurations:                                         Default             Current             Next Boot
        MEMIC_BAR_SIZE                              0                   0                   0                   
        HOST_CHAINING_DESCRIPTORS                   Array[0..7]         Array[0..7]         Array[0..7]         
        NUM_OF_VFS                                  0                   0                   0                   
        SRIOV_EN                                    False(0)            False(0)            False(0)            
*       LINK_TYPE_P1                                VPI(3)              ETH(2)              ETH(2)              
*       LINK_TYPE_P2                                VPI(3)              ETH(2)              ETH(2)              
 RO     PF_NUM_OF_VF_VALID                          False(0)            False(0)            False(0)            
The '*' shows parameters with next value different from default/current value.

The 'RO' shows parameters which are for read only and cannot be changed
"""  # noqa: W291

SET_OK = """
Device #1:
----------

Device type:        ConnectX5           
Name:               MCX556A-ECA_Ax      
Description:        ConnectX-5 VPI adapter card; EDR IB (100Gb/s) and 100GbE; dual-port QSFP28; PCIe3.0 x16
Device:             0000:af:00.0        

Configurations:                                         Next Boot           New
        SRIOV_EN                                    False(0)            True(1)             
        NUM_OF_VFS                                  0                   8                   

 Apply new Configuration? (y/n) [n] : y
Applying... Done!
-I- Please reboot machine to load new configurations.
"""  # noqa: W291


def q(binary=MLX, device=DEV, names=()):
    return [binary, "-d", device, "-e", "q", *names]


def s(*assignments, binary=MLX, device=DEV):
    return [binary, "-d", device, "-y", "set", *assignments]


def run(params, commands, bins=None, expect_fail=False, **kwargs):
    args = {"device": kwargs.pop("device", DEV), "params": params}
    if "tool" in kwargs:
        args["tool"] = kwargs.pop("tool")
    bins = BINS if bins is None else bins
    return run_module(mlxconfig.main, args, commands, bins=bins, expect_fail=expect_fail, **kwargs)


def test_no_change_costs_one_query():
    r = run({"SRIOV_EN": False, "NUM_OF_VFS": 0, "LINK_TYPE_P1": "ETH"}, [(q(), (0, E_QUERY, ""))])
    assert r["changed"] is False
    assert r["reboot_required"] is False
    assert r["changes"] == {}
    assert r["current"] == {"SRIOV_EN": "False", "NUM_OF_VFS": 0, "LINK_TYPE_P1": "ETH"}
    assert r["default"] == {"SRIOV_EN": "False", "NUM_OF_VFS": 0, "LINK_TYPE_P1": "VPI"}
    assert r["next_boot"] == {"SRIOV_EN": "False", "NUM_OF_VFS": 0, "LINK_TYPE_P1": "ETH"}
    assert r["tool"] == "mlxconfig"
    assert r["device_info"]["name"] == "MCX556A-ECA_Ax"
    assert len(r.calls) == 1
    assert r.environ == [{"LANGUAGE": "C", "LC_ALL": "C"}]


def test_change_one_set_with_every_differing_param():
    r = run(
        {"SRIOV_EN": True, "NUM_OF_VFS": 8, "LINK_TYPE_P1": 2},
        [(q(), (0, E_QUERY, "")), (s("SRIOV_EN=1", "NUM_OF_VFS=8"), (0, SET_OK, ""))],
    )
    assert r["changed"] is True
    assert r["reboot_required"] is True
    assert r["changes"] == {"SRIOV_EN": {"before": "False", "after": "True"}, "NUM_OF_VFS": {"before": 0, "after": 8}}
    assert r["next_boot"] == {"SRIOV_EN": "True", "NUM_OF_VFS": 8, "LINK_TYPE_P1": "ETH"}
    assert r["current"]["NUM_OF_VFS"] == 0
    assert "diff" not in r


def test_partial_change_and_symbolic_values():
    r = run(
        {"LINK_TYPE_P1": "ETH(2)", "LINK_TYPE_P2": "ib", "sriov_en": "no"},
        [(q(), (0, E_QUERY, "")), (s("LINK_TYPE_P2=IB"), (0, "Applying... Done!\n", ""))],
    )
    assert r["changes"] == {"LINK_TYPE_P2": {"before": "ETH", "after": "IB"}}
    assert r["next_boot"] == {"LINK_TYPE_P1": "ETH", "LINK_TYPE_P2": "IB", "sriov_en": "False"}
    assert r["reboot_required"] is True


def test_check_mode_never_sets_and_diff_shows_next_boot():
    r = run(
        {"SRIOV_EN": "true", "NUM_OF_VFS": "8"},
        [(q(), (0, E_QUERY, ""))],
        check_mode=True,
        diff=True,
    )
    assert r["changed"] is True
    assert r["reboot_required"] is True
    assert [c[-1] for c in r.calls] == ["q"]
    assert not any("set" in c for c in r.calls)
    assert r["diff"] == {
        "before": {"SRIOV_EN": "False", "NUM_OF_VFS": 0},
        "after": {"SRIOV_EN": "True", "NUM_OF_VFS": 8},
        "before_header": f"{DEV} (next boot)",
        "after_header": f"{DEV} (next boot)",
    }


def test_diff_mode_without_change_is_empty():
    r = run({"NUM_OF_VFS": 0}, [(q(), (0, E_QUERY, ""))], diff=True)
    assert r["diff"]["before"] == {} and r["diff"]["after"] == {}


def test_next_boot_only_table_reboot_follows_change():
    plain = sample("mlxconfig-query-cx5-01.txt")
    r = run({"SRIOV_EN": True, "NUM_OF_VFS": 0}, [(q(), (0, plain, ""))])
    assert (r["changed"], r["reboot_required"]) == (False, False)
    assert r["current"] == {"SRIOV_EN": None, "NUM_OF_VFS": None}
    r = run({"NUM_OF_VFS": 4}, [(q(), (0, plain, "")), (s("NUM_OF_VFS=4"), (0, "Applying... Done!\n", ""))])
    assert (r["changed"], r["reboot_required"]) == (True, True)


def test_query_failure_reports_tool_error():
    r = run(
        {"SRIOV_EN": True},
        [(q(MST, "0000:3b:00.1"), (1, "", sample("mstconfig-error-open-01.txt")))],
        bins={"mstconfig": MST},
        device="0000:3b:00.1",
        expect_fail=True,
    )
    assert r["msg"] == "mstconfig could not query 0000:3b:00.1: -E- Failed to open the device"
    assert r["rc"] == 1
    assert r["tool"] == "mstconfig"


def test_query_failure_without_e_line():
    r = run({"SRIOV_EN": True}, [(q(), (3, "", "segfault\n"))], expect_fail=True)
    assert r["msg"] == f"mlxconfig could not query {DEV}: segfault"


def test_tool_without_e_flag_is_named():
    r = run({"SRIOV_EN": True}, [(q(), (1, "-E- Unknown flag: -e\n", ""))], expect_fail=True)
    assert r["msg"] == (
        f"mlxconfig could not query {DEV}: -E- Unknown flag: -e "
        "(mlxconfig does not accept -e: MFT or mstflint 4.6 or later is required)"
    )


def test_query_without_table_fails():
    r = run({"SRIOV_EN": True}, [(q(), (0, "Device #1:\n----------\n", ""))], expect_fail=True)
    assert "printed no configuration table" in r["msg"]


def test_set_failure_names_the_parameter():
    r = run(
        {"NUM_OF_VFS": 65535, "SRIOV_EN": True},
        [
            (q(), (0, E_QUERY, "")),
            (s("NUM_OF_VFS=65535", "SRIOV_EN=1"), (1, sample("mlxconfig-set-error-maxvfs-fixture-01.txt"), "")),
        ],
        expect_fail=True,
    )
    assert r["msg"] == (
        f"mlxconfig could not set NUM_OF_VFS on {DEV}: "
        "-E- Parameter NUM_OF_VFS' value is larger than maximum allowed 127"
    )


def test_set_failure_without_message_names_every_parameter():
    r = run(
        {"NUM_OF_VFS": 4, "SRIOV_EN": True},
        [(q(), (0, E_QUERY, "")), (s("NUM_OF_VFS=4", "SRIOV_EN=1"), (2, "Applying... Failed!\n", ""))],
        expect_fail=True,
    )
    assert r["msg"] == f"mlxconfig could not set NUM_OF_VFS, SRIOV_EN on {DEV}: exit code 2"


def test_unknown_param_names_closest_known():
    r = run({"SRIOV_ENABLE": True, "NUM_OF_VF": 8}, [(q(), (0, E_QUERY, ""))], expect_fail=True)
    assert r["msg"] == (
        f"Unknown firmware parameter(s) for {DEV}: SRIOV_ENABLE (closest: SRIOV_EN); "
        "NUM_OF_VF (closest: NUM_OF_VFS, PF_NUM_OF_VF_VALID)."
    )
    assert r["unknown_params"] == ["SRIOV_ENABLE", "NUM_OF_VF"]
    assert len(r.calls) == 1


def test_unknown_param_without_close_match():
    r = run({"QWERTY": 1}, [(q(), (0, E_QUERY, ""))], expect_fail=True)
    assert "QWERTY (no close match)" in r["msg"]


def test_param_missing_on_this_card_is_unknown():
    # LINK_TYPE_P2 is absent on single-port cards
    r = run({"LINK_TYPE_P2": "ETH"}, [(q(), (0, sample("mlxconfig-query-cx4-01.txt"), ""))], expect_fail=True)
    assert r["msg"].startswith(f"Unknown firmware parameter(s) for {DEV}: LINK_TYPE_P2")


def test_array_param_needs_an_index():
    r = run({"HOST_CHAINING_DESCRIPTORS": 4}, [(q(), (0, E_QUERY, ""))], expect_fail=True)
    assert r["msg"] == (
        "HOST_CHAINING_DESCRIPTORS is an array parameter (Array[0..7]); set its elements as "
        "HOST_CHAINING_DESCRIPTORS[i], for example HOST_CHAINING_DESCRIPTORS[0]."
    )


ARRAY_QUERY = """
Device #1:
----------

Device type:    BlueField2      
Name:           MBF2H516A-CEEO_Ax
Description:    BlueField-2 DPU
Device:         /dev/mst/mt41686_pciconf0

Configurations:                              Default         Current         Next Boot
         HOST_CHAINING_DESCRIPTORS[3]        0               0               0               
         SRIOV_EN                            False(0)        True(1)         True(1)         
"""  # noqa: W291


def test_array_element_targeted_query_and_set():
    dev = "/dev/mst/mt41686_pciconf0"
    r = run(
        {"HOST_CHAINING_DESCRIPTORS[3]": 128, "SRIOV_EN": True},
        [
            (q(device=dev, names=["HOST_CHAINING_DESCRIPTORS[3]", "SRIOV_EN"]), (0, ARRAY_QUERY, "")),
            (s("HOST_CHAINING_DESCRIPTORS[3]=128", device=dev), (0, "Applying... Done!\n", "")),
        ],
        device=dev,
    )
    assert r["changes"] == {"HOST_CHAINING_DESCRIPTORS[3]": {"before": 0, "after": 128}}
    assert r["current"] == {"HOST_CHAINING_DESCRIPTORS[3]": 0, "SRIOV_EN": "True"}
    assert r["reboot_required"] is True


def test_targeted_query_unknown_param_from_tool_error():
    r = run(
        {"HOST_CHAINING_DESCRIPTORS[3]": 1, "SRIOV_ENN": True},
        [
            (
                q(names=["HOST_CHAINING_DESCRIPTORS[3]", "SRIOV_ENN"]),
                (1, "\nDevice #1:\n----------\n\n-E- Unknown Parameter SRIOV_ENN\n", ""),
            )
        ],
        expect_fail=True,
    )
    assert r["msg"] == f"Unknown firmware parameter(s) for {DEV}: SRIOV_ENN (closest: SRIOV_EN)."


def test_targeted_query_row_missing_without_error():
    r = run(
        {"HOST_CHAINING_DESCRIPTORS[3]": 1, "NUM_OF_VFZ": 2},
        [(q(names=["HOST_CHAINING_DESCRIPTORS[3]", "NUM_OF_VFZ"]), (0, ARRAY_QUERY, ""))],
        expect_fail=True,
    )
    assert "NUM_OF_VFZ (closest: NUM_OF_VFS, " in r["msg"]


def test_full_query_unknown_param_reported_by_tool():
    # A tool that validates names even for a full query: suggestions come from the common list.
    r = run(
        {"SRIOV_ENN": 1}, [(q(), (1, "-E- The Device doesn't support SRIOV_ENN parameter\n", ""))], expect_fail=True
    )
    assert "SRIOV_ENN (closest: SRIOV_EN)" in r["msg"]


def test_tlv_query_failures_are_tolerated_when_the_params_were_read():
    text = (
        E_QUERY
        + "-E- Failed to query some of the TLVs:\n    Failed to query the default values of the following TLVs:\n"
    )
    r = run({"NUM_OF_VFS": 0}, [(q(), (1, text, ""))])
    assert r["changed"] is False
    assert any("could not read some unrelated parameters" in w for w in r.warnings)


def test_read_only_param_cannot_change():
    r = run({"PF_NUM_OF_VF_VALID": True}, [(q(), (0, E_QUERY, ""))], expect_fail=True)
    assert r["msg"] == f"read-only parameter(s) cannot be changed on {DEV}: PF_NUM_OF_VF_VALID."


def test_auto_falls_back_to_mstconfig():
    r = run({"NUM_OF_VFS": 0}, [(q(MST), (0, E_QUERY, ""))], bins={"mstconfig": MST})
    assert r["tool"] == "mstconfig"


def test_explicit_tool_is_used_even_if_mlxconfig_exists():
    r = run({"NUM_OF_VFS": 0}, [(q(MST), (0, E_QUERY, ""))], tool="mstconfig")
    assert r["tool"] == "mstconfig"


@pytest.mark.parametrize(
    ("tool", "bins", "needle"),
    [
        ("auto", {}, "Neither mlxconfig nor mstconfig was found on the PATH"),
        ("mlxconfig", {"mstconfig": MST}, "mlxconfig was not found on the PATH: install NVIDIA MFT"),
        ("mstconfig", {"mlxconfig": MLX}, "mstconfig was not found on the PATH: install mstflint"),
    ],
)
def test_tool_missing_names_the_package(tool, bins, needle):
    r = run({"SRIOV_EN": True}, [], bins=bins, tool=tool, expect_fail=True)
    assert needle in r["msg"]
    if tool == "auto":
        assert "mstflint" in r["msg"] and "NVIDIA MFT" in r["msg"]
    assert r.calls == []


@pytest.mark.parametrize(
    ("params", "device", "needle"),
    [
        ({"SRIOV_EN": True}, "eth0:1", "is not a PCI address"),
        ({"BAD NAME": 1}, DEV, "invalid firmware parameter name 'BAD NAME'"),
        ({"SRIOV_EN": True, "sriov_en": True}, DEV, "parameter sriov_en is given twice (also as SRIOV_EN)"),
        ({"NUM_OF_VFS": [1, 2]}, DEV, "parameter NUM_OF_VFS: unsupported value"),
    ],
)
def test_invalid_input_fails_before_any_command(params, device, needle):
    r = run(params, [], device=device, expect_fail=True)
    assert needle in r["msg"]
    assert r.calls == []


def test_empty_params_only_queries():
    r = run({}, [(q(), (0, E_QUERY, ""))])
    assert r["changed"] is False and r["next_boot"] == {} and len(r.calls) == 1


def test_pci_address_without_domain_and_rdma_name_are_passed_through():
    for dev in ("af:00.0", "mlx5_0"):
        r = run({"NUM_OF_VFS": 0}, [(q(device=dev), (0, E_QUERY, ""))], device=dev)
        assert r["device"] == dev
