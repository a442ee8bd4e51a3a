# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parsers and value normalisation of plugins/module_utils/_mlxconfig.py.

Every mlxconfig/mstconfig sample is parsed with concrete expectations; then tables rendered the
way each tool generation prints them (the printf formats of MFT 4.19, 4.25, 4.34 and mstflint 4.36)
are parsed back, so that formats, not files, are tested.
"""

from __future__ import annotations

import pytest
from ansible_collections.rdmaops.fabric.plugins.module_utils import _mlxconfig as mlx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sample_io import sample


# --------------------------------------------------------------------------- samples
def test_sample_query_cx5_plain_q():
    parsed = mlx.parse_query(sample("mlxconfig-query-cx5-01.txt"))
    assert parsed["device_info"] == {
        "device_type": "ConnectX5",
        "name": None,
        "description": None,
        "device": "/dev/mst/mt4119_pciconf0",
    }
    assert parsed["columns"] == ["next_boot"]
    assert parsed["current_supported"] is False
    params = parsed["params"]
    assert len(params) == 89
    assert next(iter(params)) == "MEMIC_BAR_SIZE"
    assert list(params)[-1] == "SAFE_MODE_ENABLE"
    assert params["SRIOV_EN"]["next_boot"] == "True(1)"
    assert params["NUM_OF_VFS"]["next_boot"] == "0"
    assert params["MEMIC_SIZE_LIMIT"]["next_boot"] == "_256KB(1)"
    assert params["PCI_ATOMIC_MODE"]["next_boot"] == "PCI_ATOMIC_DISABLED_EXT_ATOMIC_ENABLED(0)"
    assert params["PCI_WR_ORDERING"]["next_boot"] == "per_mkey(0)"
    assert params["NUM_OF_VL_P1"]["next_boot"] == "_4_VLs(3)"
    assert params["NUM_OF_TC_P1"]["next_boot"] == "_8_TCs(0)"
    assert params["EXP_ROM_UEFI_x86_ENABLE"]["next_boot"] == "False(0)"
    assert params["HOST_CHAINING_DESCRIPTORS"]["next_boot"] == "Array[0..7]"
    assert params["DCR_LIFO_SIZE"]["next_boot"] == "16384"
    assert params["SAFE_MODE_ENABLE"] == {"next_boot": "True(1)", "modified": False, "read_only": False}
    assert parsed["errors"] == []
    assert mlx.display_value(params["PCI_ATOMIC_MODE"]["next_boot"]) == "PCI_ATOMIC_DISABLED_EXT_ATOMIC_ENABLED"
    assert mlx.display_value(params["SRIOV_EN"]["next_boot"]) == "True"
    assert mlx.display_value(params["RPG_BYTE_RESET_P1"]["next_boot"]) == 32767


def test_sample_query_cx4_truncated_last_line():
    parsed = mlx.parse_query(sample("mlxconfig-query-cx4-01.txt"))
    assert parsed["device_info"]["device_type"] == "ConnectX4"
    assert parsed["device_info"]["name"] is None
    assert list(parsed["params"]) == [
        "MEMIC_BAR_SIZE",
        "MEMIC_SIZE_LIMIT",
        "FLEX_PARSER_PROFILE_ENABLE",
        "FLEX_IPV4_OVER_VXLAN_PORT",
        "ROCE_NEXT_PROTOCOL",
        "NON_PREFETCHABLE_PF_BAR",
        "NUM_OF_VFS",
        "FPP_EN",
        "SRIOV_EN",
    ]
    assert parsed["params"]["SRIOV_EN"]["next_boot"] == "False(0)"
    assert parsed["params"]["ROCE_NEXT_PROTOCOL"]["next_boot"] == "254"


def test_sample_query_bf2_odd_line_and_long_description():
    parsed = mlx.parse_query(sample("mlxconfig-query-bf2-fixture-01.txt"))
    info = parsed["device_info"]
    assert info["device_type"] == "BlueField2"
    assert info["name"] == "MBF2M516A-EEEO_Ax"
    assert info["description"].startswith("BlueField-2 E-Series SmartNIC 100GbE/EDR VPI Dual-Port QSFP56;")
    assert info["description"].endswith("1GbE OOB management; FHHL")
    params = parsed["params"]
    assert len(params) == 20
    assert params["INTERNAL_CPU_MODEL"]["next_boot"] == "EMBEDDED_CPU(1)"
    # the deliberately odd line is its own parameter, not a prefix match of INTERNAL_CPU_MODEL
    assert params["_INTERNAL_CPU_MODEL"]["next_boot"] == "SEPARATED_HOST(0)"
    assert params["LINK_TYPE_P1"]["next_boot"] == "ETH(2)"
    assert params["LINK_TYPE_P2"]["next_boot"] == "ETH(2)"
    assert params["ESWITCH_HAIRPIN_TOT_BUFFER_SIZE"]["next_boot"] == "Array[0..7]"
    assert mlx.find_row(params, "internal_cpu_model") == "INTERNAL_CPU_MODEL"


def test_sample_query_e_fixture_star_markers_and_trailer():
    parsed = mlx.parse_query(sample("mlxconfig-query-e-cx4-fixture-01.txt"))
    assert parsed["columns"] == ["default", "current", "next_boot"]
    assert parsed["current_supported"] is True
    params = parsed["params"]
    assert params["KEEP_IB_LINK_UP_P2"] == {
        "default": "False(0)",
        "current": "True(1)",
        "next_boot": "True(1)",
        "modified": True,
        "read_only": False,
    }
    assert params["KEEP_LINK_UP_ON_BOOT_P2"]["modified"] is False
    assert params["ESWITCH_HAIRPIN_DESCRIPTORS"]["current"] == "Array[0..7]"
    assert params["MEMIC_SIZE_LIMIT"]["next_boot"] == "DISABLED(0)"
    assert params["MEMIC_SIZE_LIMIT"]["current"] == "_256KB(1)"
    assert len(params) == 4  # the trailer sentence is not a row


def test_sample_query_e_excerpt_without_header():
    parsed = mlx.parse_query(sample("mlxconfig-query-e-cx5-excerpt-01.txt"))
    # no header: three value columns are Default / Current / Next Boot
    assert parsed["columns"] == ["default", "current", "next_boot"]
    params = parsed["params"]
    assert len(params) == 14
    assert params["NUM_OF_PFC_P2"] == {
        "default": "8",
        "current": "8",
        "next_boot": "8",
        "modified": False,
        "read_only": False,
    }
    assert params["DUP_MAC_ACTION_P1"]["current"] == "LAST_CFG(0)"
    assert params["IB_ROUTING_MODE_P2"]["next_boot"] == "LID(1)"


def test_sample_set_cx4_misaligned_new_column():
    result = mlx.parse_set_output(sample("mlxconfig-set-cx4-01.txt"))
    assert result["applied"] is True
    assert result["reboot_needed"] is True
    assert result["params"] == {
        "LINK_TYPE_P1": {"next_boot": "ETH(2)", "new": "IB(1)", "modified": False, "read_only": False}
    }
    assert result["errors"] == []
    assert result["info"] == ["-I- Please reboot machine to load new configurations."]


def test_sample_set_cx5_lists_unchanged_params():
    result = mlx.parse_set_output(sample("mlxconfig-set-cx5-01.txt"))
    assert result["applied"] is True
    assert {k: (v["next_boot"], v["new"]) for k, v in result["params"].items()} == {
        "SRIOV_EN": ("True(1)", "True(1)"),
        "NUM_OF_VFS": ("4", "4"),
        "UCTX_EN": ("False(0)", "True(1)"),
    }
    parsed = mlx.parse_query(sample("mlxconfig-set-cx5-01.txt"))
    assert parsed["device_info"]["name"] == "MCX516A-CDA_Ax_Bx"
    assert parsed["device_info"]["description"].endswith("tall bracket; ROHS R6")


def test_sample_mstconfig_set_cx5():
    result = mlx.parse_set_output(sample("mstconfig-set-cx5-01.txt"))
    assert result["applied"] is True
    assert result["params"]["SRIOV_EN"]["new"] == "True(1)"
    assert result["params"]["NUM_OF_VFS"]["next_boot"] == "0"
    assert result["params"]["NUM_OF_VFS"]["new"] == "8"
    assert mlx.parse_query(sample("mstconfig-set-cx5-01.txt"))["device_info"]["device"] == "0000:02:00.0"


def test_sample_set_error_maxvfs():
    text = sample("mlxconfig-set-error-maxvfs-fixture-01.txt")
    result = mlx.parse_set_output(text)
    assert result["applied"] is False
    assert result["errors"] == ["-E- Parameter NUM_OF_VFS' value is larger than maximum allowed 127"]
    assert result["params"]["NUM_OF_VFS"]["new"] == "65535"
    assert result["reboot_needed"] is False


def test_sample_mstconfig_error_open():
    parsed = mlx.parse_query(sample("mstconfig-error-open-01.txt"))
    assert parsed["params"] == {}
    assert parsed["errors"] == ["-E- Failed to open the device"]
    assert mlx.unknown_params_from_errors(parsed["errors"]) == []


def test_sample_mstconfig_head_only_device_block():
    parsed = mlx.parse_query(sample("mstconfig-query-cx6dx-head-01.txt"))
    assert parsed["device_info"] == {
        "device_type": "ConnectX6DX",
        "name": "MCX623106AN-CDA_Ax",
        "description": "ConnectX-6 Dx EN adapter card; 100GbE; Dual-port QSFP56; PCIe 4.0/3.0 x16;",
        "device": "3d:00.1",
    }
    assert parsed["params"] == {}
    assert parsed["columns"] == []


# --------------------------------------------------------------------------- hand-written realistic variants
NEW_LAYOUT_E = """
Device #1:
----------

Device type:        ConnectX6DX         
Name:               MCX623106AN-CDA_Ax  
Description:        ConnectX-6 Dx EN adapter card; 100GbE; Dual-port QSFP56; PCIe 4.0/3.0 x16;
Device:             0000:3b:00.0        

Configurations:                                         Default             Current             Next Boot
*       SRIOV_EN                                    False(0)            True(1)             True(1)             
        NUM_OF_VFS                                  8                   8                   8                   
 RO     PF_NUM_OF_VF_VALID                          False(0)            False(0)            False(0)            
*       LINK_TYPE_P1                                VPI(3)              ETH(2)              IB(1)               
*RO     ROCE_CONTROL                                ROCE_ENABLE(2)      ROCE_ENABLE(2)      ROCE_DISABLE(1)     
        PCI_ATOMIC_MODE                             PCI_ATOMIC_DISABLED_EXT_ATOMIC_ENABLED(0) PCI_ATOMIC_DISABLED_EXT_ATOMIC_ENABLED(0) PCI_ATOMIC_DISABLED_EXT_ATOMIC_ENABLED(0)
        ROCE_NEXT_PROTOCOL                          254                 254                 254                 
The '*' shows parameters with next value different from default/current value.

The 'RO' shows parameters which are for read only and cannot be changed
"""  # noqa: W291, E501 - trailing spaces and the overflowing enum are part of the format


def test_variant_mft_4_2x_20_column_layout_with_ro_markers():
    parsed = mlx.parse_query(NEW_LAYOUT_E)
    assert parsed["device_info"]["device"] == "0000:3b:00.0"
    assert parsed["device_info"]["device_type"] == "ConnectX6DX"
    p = parsed["params"]
    assert list(p) == [
        "SRIOV_EN",
        "NUM_OF_VFS",
        "PF_NUM_OF_VF_VALID",
        "LINK_TYPE_P1",
        "ROCE_CONTROL",
        "PCI_ATOMIC_MODE",
        "ROCE_NEXT_PROTOCOL",
    ]
    assert p["SRIOV_EN"]["modified"] is True and p["SRIOV_EN"]["read_only"] is False
    assert p["PF_NUM_OF_VF_VALID"]["read_only"] is True and p["PF_NUM_OF_VF_VALID"]["modified"] is False
    assert p["ROCE_CONTROL"] == {
        "default": "ROCE_ENABLE(2)",
        "current": "ROCE_ENABLE(2)",
        "next_boot": "ROCE_DISABLE(1)",
        "modified": True,
        "read_only": True,
    }
    assert p["ROCE_NEXT_PROTOCOL"]["read_only"] is False  # a name that starts with RO
    assert p["PCI_ATOMIC_MODE"]["current"] == "PCI_ATOMIC_DISABLED_EXT_ATOMIC_ENABLED(0)"


OVERFLOW_NO_SPACE = (
    "Configurations:                              Default         Current         Next Boot\n"
    "         PCI_ATOMIC_MODE                     PCI_ATOMIC_DISABLED_EXT_ATOMIC_ENABLED(0)"
    "PCI_ATOMIC_DISABLED_EXT_ATOMIC_ENABLED(0)PCI_ATOMIC_DISABLED_EXT_ATOMIC_ENABLED(0)\n"
    "*        MEMIC_SIZE_LIMIT_EXACTLY            ABCDEFGHIJK_M(1)DISABLED(0)     DISABLED(0)\n"
)


def test_variant_overlong_enums_run_into_the_next_cell():
    p = mlx.parse_query(OVERFLOW_NO_SPACE)["params"]
    assert p["PCI_ATOMIC_MODE"]["default"] == "PCI_ATOMIC_DISABLED_EXT_ATOMIC_ENABLED(0)"
    assert p["PCI_ATOMIC_MODE"]["next_boot"] == "PCI_ATOMIC_DISABLED_EXT_ATOMIC_ENABLED(0)"
    assert p["MEMIC_SIZE_LIMIT_EXACTLY"]["default"] == "ABCDEFGHIJK_M(1)"
    assert p["MEMIC_SIZE_LIMIT_EXACTLY"]["current"] == "DISABLED(0)"


CX3_E_NO_CURRENT = """
Device #1:
----------

Device type:    ConnectX3Pro    
PCI device:     /dev/mst/mt4103_pci_cr0

Configurations:                              Default         Next Boot

         SRIOV_EN                            False(0)        True(1)         

         NUM_OF_VFS                          8               16              

         LINK_TYPE_P1                        VPI(3)          ETH(2)          
Device Firmware does not support reading current configurations
"""  # noqa: W291


def test_variant_connectx3_default_and_next_boot_only_with_blank_lines():
    parsed = mlx.parse_query(CX3_E_NO_CURRENT)
    assert parsed["device_info"]["device"] == "/dev/mst/mt4103_pci_cr0"
    assert parsed["device_info"]["device_type"] == "ConnectX3Pro"
    assert parsed["columns"] == ["default", "next_boot"]
    assert parsed["current_supported"] is False
    assert parsed["params"]["NUM_OF_VFS"]["default"] == "8"
    assert parsed["params"]["NUM_OF_VFS"]["next_boot"] == "16"
    assert parsed["params"]["LINK_TYPE_P1"]["next_boot"] == "ETH(2)"


ARRAY_ELEMENTS = """
Device #1:
----------

Device type:    BlueField2      
Name:           MBF2H516A-CEEO_Ax
Description:    BlueField-2 DPU 100GbE Dual-Port QSFP56
Device:         03:00.0         

Configurations:                              Default         Current         Next Boot
         HOST_CHAINING_DESCRIPTORS[0]        0               0               0               
         HOST_CHAINING_DESCRIPTORS[1]        0               0               0               
*        HOST_CHAINING_DESCRIPTORS[3]        0               0               128             
The '*' shows parameters with next value different from default/current value.
"""  # noqa: W291


def test_variant_array_element_rows():
    p = mlx.parse_query(ARRAY_ELEMENTS)["params"]
    assert p["HOST_CHAINING_DESCRIPTORS[3]"]["next_boot"] == "128"
    assert p["HOST_CHAINING_DESCRIPTORS[3]"]["modified"] is True
    assert p["HOST_CHAINING_DESCRIPTORS[0]"]["current"] == "0"
    assert mlx.split_param_name("HOST_CHAINING_DESCRIPTORS[3]") == ("HOST_CHAINING_DESCRIPTORS", 3)


OLD_SET_PROMPT = """
Device #1:
----------

Device type:    ConnectX4LX     
PCI device:     0000:5e:00.0    

Configurations:                              Next Boot       New
         SRIOV_EN                            False(0)        True(1)         
         NUM_OF_VFS                          0               16              

 Apply new Configuration? ? (y/n) [n] : y
Applying... Done!
-I- Please reboot machine to load new configurations.
"""  # noqa: W291


def test_variant_old_mft_set_prompt():
    result = mlx.parse_set_output(OLD_SET_PROMPT)
    assert result["applied"] is True
    assert list(result["params"]) == ["SRIOV_EN", "NUM_OF_VFS"]
    assert result["params"]["NUM_OF_VFS"]["new"] == "16"


MULTI_ERRORS = """
Device #1:
----------

Device type:    ConnectX5       
Name:           N/A             
Description:    N/A             
Device:         0000:af:00.0    

Configurations:                              Default         Current         Next Boot
         SRIOV_EN                            False(0)        False(0)        False(0)        
         NUM_OF_VFS                          0               0               0               
-E- Failed to query some of the TLVs:
    Failed to query the default values of the following TLVs:
    NV_SOMETHING NV_OTHER 
"""  # noqa: W291


def test_variant_tlv_query_failures_end_the_table():
    parsed = mlx.parse_query(MULTI_ERRORS)
    assert list(parsed["params"]) == ["SRIOV_EN", "NUM_OF_VFS"]  # the TLV list is not a row
    assert parsed["errors"] == ["-E- Failed to query some of the TLVs:"]
    assert mlx.only_tlv_query_failures(parsed["errors"]) is True
    assert mlx.only_tlv_query_failures(["-E- Failed to open the device"]) is False
    assert mlx.only_tlv_query_failures([]) is False


def test_variant_crlf_and_no_header_block():
    text = "Configurations:          Next Boot\r\n         SRIOV_EN            True(1)\r\n"
    assert mlx.parse_query(text)["params"]["SRIOV_EN"]["next_boot"] == "True(1)"


def test_variant_empty_and_garbage():
    assert mlx.parse_query("")["params"] == {}
    assert mlx.parse_query(None)["params"] == {}
    assert mlx.parse_query("   some indented words that are not a table\n")["params"] == {}
    assert mlx.parse_set_output("")["applied"] is None


def test_unknown_parameter_messages():
    errors = [
        "-E- Unknown Parameter SRIOV_ENN",
        "-E- The Device doesn't support LINK_TYPE_P2 parameter",
        "-E- Unknown parameter: FOO_BAR",
        "-E- Parameter BAZ is not supported",
    ]
    assert mlx.unknown_params_from_errors(errors) == ["SRIOV_ENN", "LINK_TYPE_P2", "FOO_BAR", "BAZ"]
    assert mlx.extract_messages("  -E- indented\nnot\n-W- warn\n", "-E-") == ["-E- indented"]


def test_rejects_verbosity_flag():
    assert mlx.rejects_verbosity_flag("-E- Unknown flag: -e")
    assert mlx.rejects_verbosity_flag("mstconfig: invalid option '-e'")
    assert mlx.rejects_verbosity_flag("-E- Invalid argument -e.")
    assert not mlx.rejects_verbosity_flag("-E- Failed to open the device")
    assert not mlx.rejects_verbosity_flag("")


def test_closest_names():
    known = ["SRIOV_EN", "NUM_OF_VFS", "LINK_TYPE_P1", "LINK_TYPE_P2", "EXP_ROM_UEFI_x86_ENABLE"]
    assert mlx.closest_names("SRIOV_ENABLE", known)[0] == "SRIOV_EN"
    assert mlx.closest_names("num_of_vf", known) == ["NUM_OF_VFS"]
    assert set(mlx.closest_names("LINK_TYPE", known)) == {"LINK_TYPE_P1", "LINK_TYPE_P2"}
    assert mlx.closest_names("exp_rom_uefi_X86_enable", known) == ["EXP_ROM_UEFI_x86_ENABLE"]
    assert mlx.closest_names("ZZZZZZ", known) == []


# --------------------------------------------------------------------------- arguments and names
@pytest.mark.parametrize(
    "device",
    [
        "0000:af:00.0",
        "af:00.0",
        "3d:00.1",
        "10000:01:00.0",
        "/dev/mst/mt4119_pciconf0",
        "/dev/mst/mt4119_pciconf0.1",
        "mlx5_0",
        "mlx5_bond_0",
    ],
)
def test_valid_devices(device):
    assert mlx.is_valid_device(device)


@pytest.mark.parametrize("device", ["", "af:00", "af:00.8", "/dev/sda", "0000:af:00.0; rm -rf /", None, 5])
def test_invalid_devices(device):
    assert not mlx.is_valid_device(device)


def test_param_names():
    assert mlx.split_param_name("SRIOV_EN") == ("SRIOV_EN", None)
    assert mlx.split_param_name(" NUM_OF_VFS ") == ("NUM_OF_VFS", None)
    for bad in ("", "A B", "X[1..3]", "1ABC", "NAME[]", "NAME=1", None):
        with pytest.raises(ValueError):
            mlx.split_param_name(bad)


def test_argv():
    assert mlx.build_query_argv("/usr/bin/mlxconfig", "af:00.0") == ["/usr/bin/mlxconfig", "-d", "af:00.0", "-e", "q"]
    assert mlx.build_query_argv("m", "d", ["A", "B[1]"]) == ["m", "-d", "d", "-e", "q", "A", "B[1]"]
    assert mlx.build_set_argv("m", "d", [("A", "1"), ("B[3]", "128")]) == [
        "m",
        "-d",
        "d",
        "-y",
        "set",
        "A=1",
        "B[3]=128",
    ]


# --------------------------------------------------------------------------- values
def test_parse_tool_value_kinds():
    assert mlx.parse_tool_value("True(1)") == {"raw": "True(1)", "kind": "bool", "symbol": "True", "code": 1}
    assert mlx.parse_tool_value("ETH(2)")["kind"] == "enum"
    assert mlx.parse_tool_value("_4_VLs(3)") == {"raw": "_4_VLs(3)", "kind": "enum", "symbol": "_4_VLs", "code": 3}
    assert mlx.parse_tool_value("16384") == {"raw": "16384", "kind": "int", "symbol": None, "code": 16384}
    assert mlx.parse_tool_value("0x1F")["code"] == 31
    assert mlx.parse_tool_value("Array[0..7]")["kind"] == "array"
    assert mlx.parse_tool_value("N/A")["kind"] == "na"
    assert mlx.parse_tool_value("some text")["kind"] == "string"
    assert mlx.display_value("N/A") is None
    assert mlx.display_value("Array[0..7]") == "Array[0..7]"
    assert mlx.display_value("0x1F") == "0x1F"


@pytest.mark.parametrize(
    ("desired", "raw", "match"),
    [
        ("ETH", "ETH(2)", True),
        (2, "ETH(2)", True),
        ("2", "ETH(2)", True),
        ("ETH(2)", "ETH(2)", True),
        ("eth", "ETH(2)", True),
        ("IB", "ETH(2)", False),
        (1, "ETH(2)", False),
        (True, "True(1)", True),
        ("true", "True(1)", True),
        ("True", "True(1)", True),
        ("yes", "True(1)", True),
        ("ON", "True(1)", True),
        (1, "True(1)", True),
        ("1", "True(1)", True),
        ("True(1)", "True(1)", True),
        (False, "True(1)", False),
        ("no", "False(0)", True),
        (0, "False(0)", True),
        ("off", "OFF(0)", True),  # a literal symbol of a non-boolean enum
        ("on", "OFF(0)", False),
        ("DISABLED", "DISABLED(0)", True),
        (8, "8", True),
        ("8", "8", True),
        ("0x8", "8", True),
        (9, "8", False),
        ("ETH", "2", False),
        (0, "N/A", False),
        (0, "Array[0..7]", False),
        ("abc", "abc", True),
        ("maybe", "True(1)", False),
    ],
)
def test_values_match(desired, raw, match):
    assert mlx.values_match(mlx.normalize_desired(desired), raw) is match


@pytest.mark.parametrize("bad", [None, 1.5, [1], {"a": 1}, "", "   "])
def test_normalize_desired_rejects(bad):
    with pytest.raises(ValueError):
        mlx.normalize_desired(bad)


@pytest.mark.parametrize(
    ("desired", "raw", "text"),
    [
        (True, "False(0)", "1"),
        ("yes", "False(0)", "1"),
        ("no", "True(1)", "0"),
        ("ETH", "IB(1)", "ETH"),
        ("ETH(2)", "IB(1)", "2"),
        (8, "0", "8"),
        ("0x10", "0", "16"),
        ("on", "OFF(0)", "on"),
    ],
)
def test_set_value_string(desired, raw, text):
    assert mlx.set_value_string(mlx.normalize_desired(desired), raw) == text


@pytest.mark.parametrize(
    ("name", "desired", "row", "shown"),
    [
        ("SRIOV_EN", True, {"next_boot": "False(0)"}, "True"),
        ("SRIOV_EN", "no", {"next_boot": "True(1)"}, "False"),
        ("LINK_TYPE_P1", 1, {"next_boot": "ETH(2)"}, "IB"),  # well-known enum code
        ("LINK_TYPE_P1", "eth", {"next_boot": "IB(1)", "default": "ETH(2)"}, "ETH"),  # tool spelling
        ("CQE_COMPRESSION", 1, {"default": "AGGRESSIVE(1)", "next_boot": "BALANCED(0)"}, "AGGRESSIVE"),
        ("CQE_COMPRESSION", 3, {"next_boot": "BALANCED(0)"}, 3),
        ("CQE_COMPRESSION", "WEIRD", {"next_boot": "BALANCED(0)"}, "WEIRD"),
        ("NUM_OF_VFS", "16", {"next_boot": "8"}, 16),
        ("NAME", "text", {"next_boot": "other"}, "text"),
    ],
)
def test_desired_display(name, desired, row, shown):
    assert mlx.desired_display(mlx.normalize_desired(desired), name, row) == shown


# --------------------------------------------------------------------------- hypothesis: normalisation
symbols = st.from_regex(r"\A_?[A-Za-z][A-Za-z0-9_]{0,30}\Z").filter(lambda s: s.lower() not in ("true", "false"))
codes = st.integers(min_value=0, max_value=2**31)


@given(symbols, codes)
def test_prop_symbol_code_and_printed_form_are_equivalent(symbol, code):
    raw = f"{symbol}({code})"
    for desired in (symbol, code, str(code), raw, symbol.lower(), symbol.upper()):
        assert mlx.values_match(mlx.normalize_desired(desired), raw)
    assert mlx.display_value(raw) == symbol


@given(symbols, codes, codes)
def test_prop_other_codes_do_not_match(symbol, code, other):
    if code != other:
        assert not mlx.values_match(mlx.normalize_desired(other), f"{symbol}({code})")
        assert not mlx.values_match(mlx.normalize_desired(f"{symbol}({other})"), f"{symbol}({code})")


@given(st.booleans(), st.sampled_from(["true", "yes", "on", "false", "no", "off", "1", "0"]), st.data())
def test_prop_boolean_spellings(flag, word, data):
    raw = "True(1)" if flag else "False(0)"
    spelled = "".join(data.draw(st.sampled_from([c.lower(), c.upper()])) for c in word)
    word_flag = word in ("true", "yes", "on", "1")
    assert mlx.values_match(mlx.normalize_desired(spelled), raw) is (word_flag == flag)
    assert mlx.values_match(mlx.normalize_desired(flag), raw)
    assert mlx.values_match(mlx.normalize_desired(int(flag)), raw)


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_prop_integers(value):
    raw = str(value)
    assert mlx.display_value(raw) == value
    for desired in (value, str(value), hex(value)):
        assert mlx.values_match(mlx.normalize_desired(desired), raw)
    assert not mlx.values_match(mlx.normalize_desired(value + 1), raw)


@given(st.one_of(st.booleans(), codes, symbols, st.builds(lambda s, c: f"{s}({c})", symbols, codes)))
def test_prop_set_value_round_trip(value):
    """What the module passes to `set` means the same as what the user asked for."""
    desired = mlx.normalize_desired(value)
    again = mlx.normalize_desired(mlx.set_value_string(desired, "True(1)" if isinstance(value, bool) else None))
    if desired["code"] is not None:
        assert again["code"] == desired["code"]
    else:
        assert again["symbol"] == desired["symbol"]


# --------------------------------------------------------------------------- formats of every tool generation
def _value_text(v):
    return v


LAYOUTS = {
    # MFT <= 4.2x: 9-char row prefix, 36-col names, 16-col cells, space only after an overflowing cell
    "mft-4.19": {"name_w": 36, "val_w": 16, "space": lambda w: w > 16, "ro": False, "label_w": 16},
    # MFT 4.25: diff + RO + 5 spaces (8-char prefix), 44-col names, 16-col cells
    "mft-4.25": {"name_w": 44, "val_w": 16, "space": lambda w: w > 16, "ro": True, "label_w": 16},
    # MFT 4.34 / mstflint 4.34: 20-col cells
    "mft-4.34": {"name_w": 44, "val_w": 20, "space": lambda w: w >= 20, "ro": True, "label_w": 20},
    # mstflint 4.36: 48-col names, 33-col cells, one space between cells
    "mstflint-4.36": {"name_w": 48, "val_w": 33, "space": lambda w: w >= 33, "ro": True, "label_w": 20},
}


def _header(layout, columns):
    name = layout["name"]
    titles = {"default": "Default", "current": "Current", "next_boot": "Next Boot", "new": "New"}
    has_new = "new" in columns
    cols = [c for c in columns if c != "new"]
    if name == "mstflint-4.36":
        text = f"{'Configurations:':<56}"
        for c in cols[:-1]:
            text += f"{titles[c]:<33} "
        text += f"{titles[cols[-1]]:<33}"
        if has_new:
            text += f" {'New':<33}"
        return text
    lw = 16 if name in ("mft-4.19", "mft-4.25") else 20
    wide = name != "mft-4.19"
    if cols == ["default", "current", "next_boot"]:
        text = f"%-{lw}s%{44 if wide else 36}s%{lw}s%18s" % ("Configurations:", "Default", "Current", "Next Boot")
    elif cols == ["default", "next_boot"]:
        text = f"%-{lw}s%{44 if wide else 36}s%18s" % ("Configurations:", "Default", "Next Boot")
    else:
        text = f"%-{lw}s%{46 if wide else 38}s" % ("Configurations:", "Next Boot")
    if has_new:
        text += "       New"
    return text


def _row(layout, name, values, modified, read_only):
    if layout["ro"]:
        line = ("*" if modified else " ") + ("RO" if read_only else "  ") + "     " + f"%-{layout['name_w']}s" % name
    else:
        line = ("*" if modified else " ") + "        " + f"%-{layout['name_w']}s" % name
    width = 0
    for i, v in enumerate(values):
        if i and layout["space"](width):
            line += " "
        cell = f"%-{layout['val_w']}s" % v
        line += cell
        width = len(cell)
    return line


def render(layout_name, columns, rows, trailing=True, blank_lines=False, device="0000:af:00.0"):
    layout = dict(LAYOUTS[layout_name], name=layout_name)
    lw = layout["label_w"]
    lines = ["", "Device #1:", "----------", ""]
    for label, value in (("Device type:", "ConnectX7"), ("Name:", "N/A"), ("Description:", "N/A"), ("Device:", device)):
        lines.append(f"%-{lw}s%-{lw}s" % (label, value))
    lines.append("")
    lines.append(_header(layout, columns))
    any_modified = False
    any_ro = False
    for name, values, modified, read_only in rows:
        lines.append(_row(layout, name, values, modified, read_only and layout["ro"]))
        any_modified |= modified
        any_ro |= read_only and layout["ro"]
        if blank_lines:
            lines.append("")
    if any_modified:
        lines.append("The '*' shows parameters with next value different from default/current value.")
    if any_ro:
        lines.extend(["", "The 'RO' shows parameters which are for read only and cannot be changed"])
    if not trailing:
        lines = [ln.rstrip() for ln in lines]
    return "\n".join(lines) + "\n"


# Real parameter names are at most 34 characters (mstflint's parameter database); a name as wide as
# the old 36-column name field would run into its value, which no parser can split.
names = st.from_regex(r"\A[A-Z][A-Z0-9_]{2,34}(\[[0-9]{1,2}\])?\Z").filter(lambda n: len(n) < 36)
values = st.one_of(
    st.builds(lambda s, c: f"{s}({c})", st.from_regex(r"\A_?[A-Za-z][A-Za-z0-9_]{0,45}\Z"), codes),
    st.integers(min_value=0, max_value=2**32 - 1).map(str),
    st.sampled_from(["True(1)", "False(0)", "Array[0..7]", "N/A", "ETH(2)", "IB(1)"]),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    layout=st.sampled_from(sorted(LAYOUTS)),
    columns=st.sampled_from(
        [["next_boot"], ["default", "current", "next_boot"], ["default", "next_boot"], ["next_boot", "new"]]
    ),
    rows=st.lists(st.tuples(names, st.data(), st.booleans(), st.booleans()), min_size=1, max_size=8),
    trailing=st.booleans(),
    blank_lines=st.booleans(),
)
def test_prop_every_layout_parses_back(layout, columns, rows, trailing, blank_lines):
    table = []
    seen = set()
    for name, data, modified, read_only in rows:
        if name in seen:
            continue
        seen.add(name)
        table.append((name, [data.draw(values) for _column in columns], modified, read_only))
    parsed = mlx.parse_query(render(layout, columns, table, trailing, blank_lines))
    assert parsed["columns"] == columns
    assert parsed["device_info"]["device"] == "0000:af:00.0"
    assert parsed["device_info"]["device_type"] == "ConnectX7"
    assert list(parsed["params"]) == [t[0] for t in table]
    for name, vals, modified, read_only in table:
        row = parsed["params"][name]
        assert [row[c] for c in columns] == vals
        assert row["modified"] is modified
        assert row["read_only"] is (read_only and LAYOUTS[layout]["ro"])


def test_render_matches_published_old_layout():
    """The renderer reproduces a published sample byte-for-byte (so the property test is honest)."""
    rows = [
        ("KEEP_IB_LINK_UP_P2", ["False(0)", "True(1)", "True(1)"], True, False),
        ("KEEP_LINK_UP_ON_BOOT_P2", ["False(0)", "False(0)", "False(0)"], False, False),
    ]
    text = render("mft-4.19", ["default", "current", "next_boot"], rows, trailing=False)
    published = sample("mlxconfig-query-e-cx4-fixture-01.txt").splitlines()
    ours = text.splitlines()
    start_ours = next(i for i, ln in enumerate(ours) if ln.startswith("Configurations:"))
    start_pub = next(i for i, ln in enumerate(published) if ln.startswith("Configurations:"))
    assert ours[start_ours : start_ours + 3] == published[start_pub : start_pub + 3]
    assert ours[-1] == published[-1]  # the trailer sentence


# --------------------------------------------------------------------------- plan
def _parsed(text):
    return mlx.parse_query(text)


E_TABLE = """
Configurations:                              Default         Current         Next Boot
         SRIOV_EN                            False(0)        False(0)        False(0)        
         NUM_OF_VFS                          0               0               0               
*        LINK_TYPE_P1                        VPI(3)          ETH(2)          ETH(2)          
*        LINK_TYPE_P2                        VPI(3)          IB(1)           ETH(2)          
         HOST_CHAINING_DESCRIPTORS           Array[0..7]     Array[0..7]     Array[0..7]     
 RO      ROCE_RTT_RESP_DSCP_MODE             DEVICE_DEFAULT(0) DEVICE_DEFAULT(0) DEVICE_DEFAULT(0)
"""  # noqa: W291


def test_plan_no_change():
    plan = mlx.plan({"SRIOV_EN": False, "NUM_OF_VFS": 0, "LINK_TYPE_P1": "ETH"}, _parsed(E_TABLE))
    assert plan["changed"] is False
    assert plan["set"] == []
    assert plan["reboot_required"] is False
    assert plan["current"] == {"SRIOV_EN": "False", "NUM_OF_VFS": 0, "LINK_TYPE_P1": "ETH"}
    assert plan["default"] == {"SRIOV_EN": "False", "NUM_OF_VFS": 0, "LINK_TYPE_P1": "VPI"}
    assert plan["after"] == plan["next_boot"]


def test_plan_pending_value_needs_reboot_but_no_write():
    # LINK_TYPE_P2: Next Boot ETH already, running IB -> nothing to write, reboot pending
    plan = mlx.plan({"LINK_TYPE_P2": 2}, _parsed(E_TABLE))
    assert plan["changed"] is False
    assert plan["reboot_required"] is True


def test_plan_partial_change_sets_only_differing_params():
    plan = mlx.plan({"sriov_en": "yes", "NUM_OF_VFS": 16, "LINK_TYPE_P1": "ETH(2)"}, _parsed(E_TABLE))
    assert plan["set"] == [("SRIOV_EN", "1"), ("NUM_OF_VFS", "16")]
    assert plan["changes"] == {
        "sriov_en": {"before": "False", "after": "True"},
        "NUM_OF_VFS": {"before": 0, "after": 16},
    }
    assert plan["reboot_required"] is True
    assert plan["after"]["LINK_TYPE_P1"] == "ETH"


def test_plan_errors():
    plan = mlx.plan(
        {"SRIOV_ENN": 1, "HOST_CHAINING_DESCRIPTORS": 4, "ROCE_RTT_RESP_DSCP_MODE": 1, "NUM_OF_VFS": 1.5},
        _parsed(E_TABLE),
    )
    assert plan["unknown"] == ["SRIOV_ENN"]
    assert plan["arrays"] == {"HOST_CHAINING_DESCRIPTORS": "Array[0..7]"}
    assert plan["read_only"] == ["ROCE_RTT_RESP_DSCP_MODE"]
    assert "NUM_OF_VFS" in plan["bad_values"]
    assert mlx.plan({"ROCE_RTT_RESP_DSCP_MODE": 0}, _parsed(E_TABLE))["read_only"] == []


def test_plan_next_boot_only_reboot_follows_change():
    parsed = mlx.parse_query(sample("mlxconfig-query-cx4-01.txt"))
    unchanged = mlx.plan({"SRIOV_EN": False}, parsed)
    assert (unchanged["changed"], unchanged["reboot_required"]) == (False, False)
    changed = mlx.plan({"SRIOV_EN": True, "NUM_OF_VFS": 8}, parsed)
    assert (changed["changed"], changed["reboot_required"]) == (True, True)
    assert changed["current"] == {} and changed["default"] == {}
