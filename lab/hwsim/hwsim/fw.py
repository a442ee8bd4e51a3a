# ruff: noqa: UP031 - printf-style formats on purpose: they mirror the printf formats of the simulated tools
"""Firmware parameter model: value parsing and display the way mlxconfig/mstconfig do it.

A parameter definition (stored in the state, built from profiles/catalog.json) is a dict::

    {"type": "bool"|"int"|"enum"|"array", "enum": {SYMBOL: code}, "bits": N, "max": N,
     "length": N (arrays), "default": v, "current": v, "next": v, "ro": bool,
     "needs_host_reboot": bool}

Values are ints (lists of ints for arrays). Messages are the mstflint 4.21 texts
(mlxconfig/mlxcfg_param.cpp, mlxcfg_tlv.cpp, mlxcfg_db_manager.cpp).
"""

from __future__ import annotations


class FwError(Exception):
    """A firmware/tool error; ``str(e)`` is the text after ``-E- ``."""


def strtoul(text):
    """C ``strtoul(s, &end, 0)`` that must consume the whole string; None if it does not."""
    s = text.strip()
    if not s:
        return None
    neg = s.startswith("-")
    body = s[1:] if neg or s.startswith("+") else s
    try:
        if body[:2] in ("0x", "0X"):
            v = int(body[2:], 16)
        elif len(body) > 1 and body.startswith("0"):
            v = int(body[1:], 8)
        else:
            if not body.isdigit():
                return None
            v = int(body, 10)
    except ValueError:
        return None
    if neg:
        v = (-v) & 0xFFFFFFFF
    if v > 0xFFFFFFFF:
        return None
    return v


def symbols(p):
    """symbol -> code for bool and enum params (bools are True/False)."""
    if p["type"] == "bool":
        return {"False": 0, "True": 1}
    return p.get("enum") or {}


def symbol_of(p, code):
    for name, c in symbols(p).items():
        if c == code:
            return name
    return None


def display(p, value):
    """The cell text: ``True(1)``, ``ETH(2)``, ``0``, ``Array[0..7]``."""
    if p["type"] == "array":
        return "Array[0..%d]" % (p.get("length", 8) - 1)
    if value is None:
        return "N/A"
    sym = symbol_of(p, value) if p["type"] in ("bool", "enum") else None
    if sym is None:
        return str(value)
    return "%s(%d)" % (sym, value)


def display_element(p, value):
    return str(value)


def parse_value(p, text):
    """Parse a value given on the command line; returns the code or raises FwError."""
    typ = p["type"]
    if typ in ("bool", "enum"):
        table = symbols(p)
        num = strtoul(text)
        if num is not None:
            for _name, code in table.items():
                if code == num:
                    return num
        else:
            for name, code in table.items():
                if name.lower() == text.lower():
                    return code
        raise FwError("Unknown value %s" % text)
    num = strtoul(text)
    if num is None:
        raise FwError("Cannot parse the value")
    bits = p.get("bits", 32)
    if bits != 32 and num > (1 << bits) - 1:
        raise FwError("The value %s is not valid,  as its size is %d bits" % (text, bits))
    return num


def check_rules(name, p, value):
    """Firmware rule check done at apply time (TLVConf::checkRules)."""
    mx = p.get("max")
    if mx is not None and p["type"] == "int" and value > mx:
        raise FwError("Parameter %s' value is larger than maximum allowed %d" % (name, mx))
    mn = p.get("min")
    if mn is not None and p["type"] == "int" and value < mn:
        raise FwError("Parameter %s' value is smaller than minimum allowed %d" % (name, mn))


def split_indexed(name):
    """``NAME[3]`` -> (NAME, [3]); ``NAME[0..7]`` -> (NAME, [0..7]); ``NAME`` -> (NAME, None)."""
    if not name.endswith("]") or "[" not in name:
        return name, None
    base, _, spec = name[:-1].partition("[")
    if not base or not spec or "[" in spec or any(c not in "0123456789." for c in spec):
        return name, None
    if ".." in spec:
        a, b = spec.split("..", 1)
        try:
            lo, hi = int(a), int(b)
        except ValueError:
            return name, None
        return base, list(range(lo, hi + 1))
    try:
        return base, [int(spec)]
    except ValueError:
        return name, None


def resolve_symbolic(p, value):
    """Profile values may be symbolic ("IB", True, "True") or numeric; returns the code."""
    if p["type"] == "array":
        if isinstance(value, list):
            return [int(v) for v in value]
        return [int(value)] * p.get("length", 8)
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int):
        return value
    return parse_value(p, str(value))
