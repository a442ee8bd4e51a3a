# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Argument formatting and output parsing for NVIDIA ``mlxconfig`` (MFT) and ``mstconfig`` (mstflint).

Everything here is a pure function over strings and plain data, so that the unit tests and the
simulated hardware in ``lab/hwsim`` can exercise it without a NIC.

Formats handled (see tests/fixtures/samples/README.md):

* the ``Device #1:`` header block with 16- or 20-column labels, ``N/A`` names, trailing spaces or none;
* the ``Configurations:`` table with any subset of the columns ``Default``, ``Current``, ``Next Boot``
  and ``New`` (``q``, ``-e q``, ``set``), headers that do not line up with the values, 8- or 9-space
  indents, a ``*`` (modified) marker in column 0 and an ``RO`` (read-only) marker in columns 1-2,
  values in 16-, 20- or 33-column cells, over-long enums that run into the next cell with no space,
  blank lines, trailer sentences, ``-E-``/``-W-``/``-I-`` lines;
* values ``NAME(N)`` (``True(1)``, ``ETH(2)``, ``_256KB(1)``, ``per_mkey(0)``), plain integers,
  hexadecimal numbers, ``Array[0..7]`` summaries, ``NAME[i]`` element rows and ``N/A``.
"""

from __future__ import annotations

import difflib
import re

TOOLS = ("mlxconfig", "mstconfig")

# The package that provides each tool, named in the "tool missing" failure.
TOOL_PACKAGES = {
    "mlxconfig": "NVIDIA MFT (Mellanox Firmware Tools, package 'mft')",
    "mstconfig": "mstflint (package 'mstflint')",
}

# Column titles as printed by every tool version, mapped to the keys used in parsed rows.
COLUMN_KEYS = {"Default": "default", "Current": "current", "Next Boot": "next_boot", "New": "new"}
_HEADER_COLUMN_RE = re.compile(r"Default|Current|Next\s+Boot|New")

# A parameter name as printed in the table or given by a user: NAME or NAME[index].
PARAM_NAME_RE = re.compile(r"^(?P<base>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<index>\d+)\])?$")

# Device forms the tools accept: PCI address with or without domain, an MST path, an RDMA device name.
_DEVICE_RES = (
    re.compile(r"^(?:[0-9A-Fa-f]{4,8}:)?[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]$"),
    re.compile(r"^/dev/mst/[A-Za-z0-9_.:\-]+$"),
    re.compile(r"^[A-Za-z][A-Za-z0-9_]*$"),
)

# One value token. Order matters: the array summary and NAME(N) first, then hex, then integers.
_VALUE_TOKEN_RE = re.compile(
    r"Array\[\d+\.\.\d+\]"
    r"|[A-Za-z0-9_]*[A-Za-z_][A-Za-z0-9_]*\(-?\d+\)"
    r"|0[xX][0-9A-Fa-f]+"
    r"|-?\d+"
    r"|N/A"
)
_ENUM_RE = re.compile(r"^(?P<symbol>[A-Za-z0-9_]*[A-Za-z_][A-Za-z0-9_]*)\((?P<code>-?\d+)\)$")
_INT_RE = re.compile(r"^[+-]?\d+$")
_HEX_RE = re.compile(r"^0[xX][0-9A-Fa-f]+$")
_ARRAY_RE = re.compile(r"^Array\[(?P<first>\d+)\.\.(?P<last>\d+)\]$")
_DEVICE_INFO_RE = re.compile(r"^(?P<label>Device type|PCI device|Name|Description|Device):\s*(?P<value>.*?)\s*$")
_DEVICE_INFO_KEYS = {
    "Device type": "device_type",
    "PCI device": "device",
    "Name": "name",
    "Description": "description",
    "Device": "device",
}

TRUE_WORDS = frozenset(("true", "yes", "on"))
FALSE_WORDS = frozenset(("false", "no", "off"))

# Enumerations whose codes are fixed across devices; used only to show a symbolic name for a
# numeric desired value when the query printed no row that reveals the symbol.
WELL_KNOWN_ENUMS = {
    "LINK_TYPE": {1: "IB", 2: "ETH", 3: "VPI"},
}

# Parameter names used for "did you mean" suggestions when the query printed no table to
# take them from (a targeted query that the tool aborted). Names from public tool outputs.
COMMON_PARAMS = (
    "ADVANCED_PCI_SETTINGS",
    "ADVANCED_POWER_SETTINGS",
    "ALLOW_RD_COUNTERS",
    "BOOT_OPTION_ROM_EN_P1",
    "BOOT_VLAN",
    "BOOT_VLAN_EN",
    "CNP_802P_PRIO_P1",
    "CNP_DSCP_P1",
    "CQE_COMPRESSION",
    "DCBX_CEE_P1",
    "DCBX_IEEE_P1",
    "DCBX_WILLING_P1",
    "ECPF_ESWITCH_MANAGER",
    "ESWITCH_HAIRPIN_DESCRIPTORS",
    "ESWITCH_HAIRPIN_TOT_BUFFER_SIZE",
    "EXP_ROM_PXE_ENABLE",
    "EXP_ROM_UEFI_x86_ENABLE",
    "FLEX_PARSER_PROFILE_ENABLE",
    "FPP_EN",
    "HOST_CHAINING_DESCRIPTORS",
    "HOST_CHAINING_MODE",
    "HOST_CHAINING_TOTAL_BUFFER_SIZE",
    "INTERNAL_CPU_MODEL",
    "IP_OVER_VXLAN_EN",
    "KEEP_ETH_LINK_UP_P1",
    "KEEP_IB_LINK_UP_P1",
    "LINK_TYPE_P1",
    "LINK_TYPE_P2",
    "LLDP_NB_DCBX_P1",
    "LLDP_NB_RX_MODE_P1",
    "LLDP_NB_TX_MODE_P1",
    "LOG_MAX_QUEUE",
    "MEMIC_BAR_SIZE",
    "MEMIC_SIZE_LIMIT",
    "MULTI_PORT_VHCA_EN",
    "NUM_OF_PF",
    "NUM_OF_VFS",
    "NUM_OF_VL_P1",
    "NUM_PF_MSIX",
    "NUM_VF_MSIX",
    "PCI_ATOMIC_MODE",
    "PCI_WR_ORDERING",
    "PF_BAR2_SIZE",
    "PF_LOG_BAR_SIZE",
    "PF_NUM_OF_VF_VALID",
    "PORT_OWNER",
    "ROCE_CC_PRIO_MASK_P1",
    "ROCE_NEXT_PROTOCOL",
    "SAFE_MODE_ENABLE",
    "SRIOV_EN",
    "SRIOV_IB_ROUTING_MODE_P1",
    "TRACER_ENABLE",
    "UCTX_EN",
    "VF_LOG_BAR_SIZE",
    "VF_NUM_OF_VF_VALID",
)


# --------------------------------------------------------------------------- names and arguments
def is_valid_device(device):
    """True if ``device`` is a PCI address (with or without domain), an MST path or an RDMA name."""
    if not isinstance(device, str):
        return False
    return any(rx.match(device) for rx in _DEVICE_RES)


def split_param_name(name):
    """``"NAME[3]"`` -> ``("NAME", 3)``, ``"NAME"`` -> ``("NAME", None)``; ValueError if malformed."""
    m = PARAM_NAME_RE.match(name.strip()) if isinstance(name, str) else None
    if not m:
        raise ValueError(f"invalid firmware parameter name {name!r}: expected NAME or NAME[index]")
    index = m.group("index")
    return m.group("base"), (int(index) if index is not None else None)


def build_query_argv(binary, device, names=None):
    """``[binary, -d, DEV, -e, q, NAME...]``; ``names=None`` queries the whole table."""
    return [binary, "-d", device, "-e", "q", *(names or [])]


def build_set_argv(binary, device, assignments):
    """``[binary, -d, DEV, -y, set, A=x, B=y]`` from ``[(name, value_string), ...]``."""
    return [binary, "-d", device, "-y", "set", *(f"{name}={value}" for name, value in assignments)]


# --------------------------------------------------------------------------- output parsing
def extract_messages(text, prefix="-E-"):
    """Lines starting (after indentation) with ``prefix`` (``-E-``, ``-W-``, ``-I-``), stripped."""
    found = []
    for line in (text or "").splitlines():
        stripped = line.strip()
        if stripped.startswith(prefix):
            found.append(stripped)
    return found


def tokenize_values(rest):
    """Split the value part of a table row into cell values.

    Cells are normally separated by padding, but an over-long enum fills its cell and runs into
    the next one with no separating space in some tool versions; a tokenizer that knows the value
    grammar splits those. Returns None when the text is not made of value tokens.
    """
    rest = rest.strip()
    if not rest:
        return []
    compact = re.sub(r"\s+", "", rest)
    tokens = _VALUE_TOKEN_RE.findall(rest)
    if tokens and "".join(tokens) == compact:
        return tokens
    return None


def parse_header_columns(line):
    """Column keys of a ``Configurations:`` header line, e.g. ``["default", "current", "next_boot"]``."""
    titles = _HEADER_COLUMN_RE.findall(line.split(":", 1)[1] if ":" in line else line)
    return [COLUMN_KEYS[re.sub(r"\s+", " ", t)] for t in titles]


def _infer_columns(count):
    # A table excerpt without its header: 1 -> q, 3 -> -e q, 2 -> -e on firmware that reports
    # only one of Default/Current (ConnectX-3 reports Default and Next Boot).
    return {1: ["next_boot"], 2: ["default", "next_boot"], 3: ["default", "current", "next_boot"]}.get(count)


def _parse_row(line, ncols):
    """Parse one table row; returns (name, values, modified, read_only) or None."""
    if not line or not (line[0].isspace() or line[0] == "*"):
        return None
    modified = line.startswith("*")
    body = line[1:] if modified else line
    m = re.match(r"^\s*(?:(?P<ro>RO)\s+)?(?P<name>\S+)(?:\s+(?P<rest>.*))?$", body)
    if not m or not PARAM_NAME_RE.match(m.group("name")):
        return None
    rest = m.group("rest") or ""
    values = rest.split()
    if ncols is None or len(values) != ncols:
        values = tokenize_values(rest)
    if not values or (ncols is not None and len(values) != ncols):
        return None
    return m.group("name"), values, modified, bool(m.group("ro"))


def parse_query(text):
    """Parse the output of ``mlxconfig``/``mstconfig`` ``q``, ``-e q`` or ``set``.

    Returns a dict::

        {
          "device_info": {"device_type": "ConnectX5", "name": None, "description": None, "device": "..."},
          "columns": ["default", "current", "next_boot"],
          "params": {NAME: {"default": "False(0)", "current": "True(1)", "next_boot": "True(1)",
                            "modified": True, "read_only": False}},
          "errors": ["-E- ..."], "warnings": ["-W- ..."], "info": ["-I- ..."],
          "current_supported": bool,  # False when the firmware cannot report Current
        }

    Values stay raw strings (``"ETH(2)"``, ``"0"``, ``"Array[0..7]"``); see :func:`parse_tool_value`.
    ``N/A`` name/description become None. Rows of every device block are merged (the module always
    passes ``-d``, so there is one).
    """
    info = {"device_type": None, "name": None, "description": None, "device": None}
    params = {}
    columns = None
    header_seen = False
    rows_seen = False
    closed = False
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("Configurations:"):
            columns = parse_header_columns(stripped) or ["next_boot"]
            header_seen, rows_seen, closed = True, False, False
            continue
        if not (line[0].isspace() or line[0] == "*"):
            # Column 0 text: header block labels before the table; after rows it ends the table
            # (trailer sentences, -E-/-I- lines, "Applying...", the next "Device #N:").
            m = _DEVICE_INFO_RE.match(stripped)
            if m and not header_seen:
                value = m.group("value").strip()
                info[_DEVICE_INFO_KEYS[m.group("label")]] = None if value in ("", "N/A") else value
            if rows_seen:
                closed = True
            continue
        if closed:
            continue
        row = _parse_row(line, len(columns) if columns else None)
        if row is None:
            continue
        name, values, modified, read_only = row
        if columns is None:
            columns = _infer_columns(len(values))
            if columns is None:
                continue
        if len(values) != len(columns):
            continue
        entry = dict(zip(columns, values))
        entry["modified"] = modified
        entry["read_only"] = read_only
        params[name] = entry
        rows_seen = True
    columns = columns or []
    not_supported = re.search(r"does not support reading (default and current|current) configurations", text or "")
    return {
        "device_info": info,
        "columns": columns,
        "params": params,
        "errors": extract_messages(text, "-E-"),
        "warnings": extract_messages(text, "-W-"),
        "info": extract_messages(text, "-I-"),
        "current_supported": "current" in columns and not not_supported,
    }


def parse_set_output(text):
    """Parse the output of ``set``: the ``Next Boot``/``New`` table, outcome and messages.

    Returns ``{"applied": True|False|None, "reboot_needed": bool, "params": {...}, "errors": [...]}``;
    ``applied`` is None when the output carries no ``Applying...`` line.
    """
    parsed = parse_query(text)
    applied = None
    for line in (text or "").splitlines():
        if "Applying..." in line:
            applied = "Done" in line
            if "Failed" in line:
                applied = False
    reboot = any("reboot" in m.lower() for m in parsed["info"])
    return {
        "applied": applied,
        "reboot_needed": reboot,
        "params": parsed["params"],
        "errors": parsed["errors"],
        "info": parsed["info"],
    }


_UNKNOWN_PARAM_RES = (
    re.compile(r"Unknown [Pp]arameter:?\s+'?(?P<name>[A-Za-z0-9_\[\]\.]+)"),
    re.compile(r"doesn't support (?P<name>[A-Za-z0-9_\[\]\.]+) parameter"),
    re.compile(r"[Pp]arameter (?P<name>[A-Za-z0-9_\[\]\.]+) is not supported"),
)


def unknown_params_from_errors(errors):
    """Parameter names a tool rejected as unknown/unsupported in its ``-E-`` lines."""
    names = []
    for line in errors:
        for rx in _UNKNOWN_PARAM_RES:
            m = rx.search(line)
            if m and m.group("name") not in names:
                names.append(m.group("name"))
    return names


def only_tlv_query_failures(errors):
    """True when every ``-E-`` line is the "Failed to query some of the TLVs" report of a full query."""
    return bool(errors) and all("Failed to query" in e for e in errors)


def rejects_verbosity_flag(text):
    """True when a tool's output says it does not know ``-e`` (a release older than MFT/mstflint 4.6)."""
    for line in (text or "").splitlines():
        low = line.lower()
        if ("-e" in line.split() or "'-e'" in line or '"-e"' in line or "-e." in line) and (
            "unknown" in low or "invalid" in low or "unrecognized" in low or "bad" in low
        ):
            return True
    return False


def closest_names(name, known, count=3):
    """Up to ``count`` names from ``known`` closest to ``name`` (case-insensitive)."""
    by_upper = {}
    for k in known:
        by_upper.setdefault(k.upper(), k)
    matches = difflib.get_close_matches(name.upper(), list(by_upper), n=count, cutoff=0.6)
    return [by_upper[m] for m in matches]


# --------------------------------------------------------------------------- values
def parse_tool_value(raw):
    """Describe a raw cell value.

    Returns ``{"raw", "kind", "symbol", "code"}`` where kind is one of ``bool`` (``True(1)``),
    ``enum`` (``ETH(2)``), ``int``, ``hex``, ``array`` (``Array[0..7]``), ``na`` or ``string``.
    """
    raw = "" if raw is None else str(raw).strip()
    out = {"raw": raw, "kind": "string", "symbol": None, "code": None}
    m = _ENUM_RE.match(raw)
    if m:
        out["symbol"] = m.group("symbol")
        out["code"] = int(m.group("code"))
        out["kind"] = "bool" if out["symbol"] in ("True", "False") else "enum"
    elif _INT_RE.match(raw):
        out["kind"], out["code"] = "int", int(raw)
    elif _HEX_RE.match(raw):
        out["kind"], out["code"] = "hex", int(raw, 16)
    elif _ARRAY_RE.match(raw):
        out["kind"] = "array"
    elif raw in ("N/A", ""):
        out["kind"] = "na"
    return out


def display_value(raw):
    """The value as the module returns it: ints for numbers, the symbol for enums (``ETH``,
    ``True``), None for ``N/A``, the raw text otherwise (``Array[0..7]``, hex)."""
    v = parse_tool_value(raw)
    if v["kind"] in ("bool", "enum"):
        return v["symbol"]
    if v["kind"] == "int":
        return v["code"]
    if v["kind"] == "na":
        return None
    return v["raw"]


def normalize_desired(value):
    """Normalise a user-supplied value.

    Returns ``{"symbol", "code", "boolean", "text"}``:

    * ``True``/``False`` -> symbol ``True``/``False``, code 1/0, boolean;
    * ints and integer strings (``"8"``, ``"0x10"``) -> code;
    * ``"ETH(2)"`` -> symbol ``ETH`` and code 2;
    * ``"true"``/``"yes"``/``"on"`` (``"false"``/``"no"``/``"off"``) -> boolean word: compared as
      ``True(1)`` (``False(0)``) against boolean parameters and literally against other enums;
    * any other string -> symbol.

    Raises ValueError for other types (lists, dicts, floats, None).
    """
    out = {"symbol": None, "code": None, "boolean": False, "text": None}
    if isinstance(value, bool):
        out.update(symbol="True" if value else "False", code=int(value), boolean=True, text=str(value))
        return out
    if isinstance(value, int):
        out.update(code=value, text=str(value))
        return out
    if not isinstance(value, str):
        raise ValueError(f"unsupported value {value!r}: use an integer, a boolean or a string")
    text = value.strip()
    if not text:
        raise ValueError("empty value")
    out["text"] = text
    m = _ENUM_RE.match(text)
    if m:
        out.update(symbol=m.group("symbol"), code=int(m.group("code")))
        if out["symbol"] in ("True", "False"):
            out["boolean"] = True
        return out
    if _INT_RE.match(text):
        out["code"] = int(text)
        return out
    if _HEX_RE.match(text):
        out["code"] = int(text, 16)
        return out
    lowered = text.lower()
    if lowered in TRUE_WORDS or lowered in FALSE_WORDS:
        out.update(symbol=text, boolean=True)
        return out
    out["symbol"] = text
    return out


def _bool_code(desired):
    """The 0/1 code a desired value stands for when compared with a boolean parameter, or None."""
    if desired["code"] is not None:
        return desired["code"]
    word = (desired["symbol"] or "").lower()
    if word in TRUE_WORDS:
        return 1
    if word in FALSE_WORDS:
        return 0
    return None


def values_match(desired, raw):
    """True if the normalised desired value equals the raw tool value.

    ``ETH`` == ``2`` == ``ETH(2)`` against ``ETH(2)``; ``True``/``true``/``yes``/``on``/``1`` against
    ``True(1)``; symbols compare case-insensitively; a symbol cannot equal a plain number.
    """
    tool = parse_tool_value(raw)
    if tool["kind"] in ("na", "array"):
        return False
    if tool["kind"] == "bool":
        code = _bool_code(desired)
        if code is not None:
            return code == tool["code"]
        return (desired["symbol"] or "").lower() == tool["symbol"].lower()
    if desired["code"] is not None and tool["code"] is not None:
        return desired["code"] == tool["code"]
    if desired["symbol"] is not None and tool["symbol"] is not None:
        return desired["symbol"].lower() == tool["symbol"].lower()
    return (desired["text"] or "").lower() == tool["raw"].lower()


def set_value_string(desired, raw=None):
    """The text passed to ``set NAME=<text>``: the numeric code when known (``ETH(2)`` -> ``2``,
    ``True`` -> ``1``), a boolean word as 1/0 for boolean parameters, otherwise the symbol."""
    if desired["code"] is not None:
        return str(desired["code"])
    if desired["boolean"] and (raw is None or parse_tool_value(raw)["kind"] == "bool"):
        return str(_bool_code(desired))
    return desired["symbol"] if desired["symbol"] is not None else desired["text"]


def enum_symbols(name, row):
    """``{code: symbol}`` for a parameter, from every column of its row plus well-known enums."""
    symbols = {}
    base = split_param_name(name)[0]
    for prefix, table in WELL_KNOWN_ENUMS.items():
        if base.startswith(prefix):
            symbols.update(table)
    for key in COLUMN_KEYS.values():
        if row and key in row:
            v = parse_tool_value(row[key])
            if v["kind"] in ("bool", "enum"):
                symbols[v["code"]] = v["symbol"]
    return symbols


def desired_display(desired, name, row):
    """How the desired value will read once applied, in the form of :func:`display_value`."""
    ref = parse_tool_value(row.get("next_boot")) if row else parse_tool_value(None)
    symbols = enum_symbols(name, row)
    if ref["kind"] == "bool":
        code = _bool_code(desired)
        if code in (0, 1):
            return "True" if code else "False"
    if ref["kind"] in ("bool", "enum"):
        if desired["symbol"] is not None and not desired["boolean"]:
            for sym in symbols.values():
                if sym.lower() == desired["symbol"].lower():
                    return sym
            return desired["symbol"]
        if desired["code"] is not None and desired["code"] in symbols:
            return symbols[desired["code"]]
    if desired["code"] is not None:
        return desired["code"]
    if desired["symbol"] is not None:
        return desired["symbol"]
    return desired["text"]


# --------------------------------------------------------------------------- planning
def find_row(params, name):
    """The table key for a requested name (exact, then case-insensitive), or None."""
    if name in params:
        return name
    upper = name.upper()
    for key in params:
        if key.upper() == upper:
            return key
    return None


def plan(desired, parsed):
    """Compare the requested parameters with a parsed query.

    ``desired`` maps parameter name -> user value (already validated by :func:`split_param_name`).
    Returns::

        {
          "unknown": [names not in the table], "arrays": {name: "Array[0..7]"},
          "read_only": [names that differ but are read-only],
          "bad_values": {name: "reason"},
          "default": {...}, "current": {...}, "next_boot": {...}, "after": {...},
          "changes": {name: {"before": x, "after": y}},
          "set": [(tool_name, value_string), ...],
          "changed": bool, "reboot_required": bool, "current_supported": bool,
        }

    ``next_boot`` holds the values the query printed; ``after`` what Next Boot is once the set ran.
    When the firmware does not report Current, ``reboot_required`` is ``changed``.
    """
    params = parsed["params"]
    has_current = bool(parsed.get("current_supported"))
    out = {
        "unknown": [],
        "arrays": {},
        "read_only": [],
        "bad_values": {},
        "default": {},
        "current": {},
        "next_boot": {},
        "after": {},
        "changes": {},
        "set": [],
        "changed": False,
        "reboot_required": False,
        "current_supported": has_current,
    }
    for name, value in desired.items():
        key = find_row(params, name)
        if key is None:
            out["unknown"].append(name)
            continue
        row = params[key]
        next_raw = row.get("next_boot")
        if parse_tool_value(next_raw)["kind"] == "array":
            out["arrays"][name] = next_raw
            continue
        try:
            want = normalize_desired(value)
        except ValueError as exc:
            out["bad_values"][name] = str(exc)
            continue
        if "default" in row:
            out["default"][name] = display_value(row["default"])
        if has_current and "current" in row:
            out["current"][name] = display_value(row["current"])
        before = display_value(next_raw)
        out["next_boot"][name] = before
        if values_match(want, next_raw):
            out["after"][name] = before
        else:
            if row.get("read_only"):
                out["read_only"].append(name)
                continue
            after = desired_display(want, key, row)
            out["after"][name] = after
            out["changes"][name] = {"before": before, "after": after}
            text = set_value_string(want, next_raw)
            if want["code"] is None and not want["boolean"] and isinstance(after, str):
                text = after  # the tool's spelling of a symbol (ib -> IB)
            out["set"].append((key, text))
        if has_current and "current" in row and not values_match(want, row["current"]):
            out["reboot_required"] = True
    out["changed"] = bool(out["set"])
    if not has_current and out["changed"]:
        out["reboot_required"] = True
    return out
