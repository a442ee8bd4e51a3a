# ruff: noqa: UP031 - printf-style formats on purpose: they mirror the printf formats of the simulated tools
"""JSON files with a marshal side cache, so that read-only tool calls never import `json` (which pulls
in `re`, `enum`, `collections`: most of a call's start-up time).

<file>.json is the truth (readable, editable); <file>.json.cache holds (mtime_ns, size, data) and is
used only while it matches the JSON file's current stat.
"""

from __future__ import annotations

import marshal
import os


def _cache(path):
    return path + ".cache"


def load(path):
    """The JSON document at ``path``; FileNotFoundError if missing."""
    st = os.stat(path)
    try:
        with open(_cache(path), "rb") as f:
            mt, size, data = marshal.load(f)
        if mt == st.st_mtime_ns and size == st.st_size:
            return data
    except (OSError, EOFError, ValueError, TypeError):
        pass
    import json

    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    _write_cache(path, data)
    return data


def _write_cache(path, data):
    try:
        st = os.stat(path)
        tmp = _cache(path) + ".tmp%d" % os.getpid()
        with open(tmp, "wb") as f:
            marshal.dump((st.st_mtime_ns, st.st_size, data), f)
        os.replace(tmp, _cache(path))
    except (OSError, ValueError):
        pass


def dump(path, data, indent=1, sort_keys=False):
    import json

    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=indent, sort_keys=sort_keys)
        f.write("\n")
    os.replace(tmp, path)
    _write_cache(path, data)


_ESC = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _s(v):
    out = []
    for ch in v:
        e = _ESC.get(ch)
        if e is not None:
            out.append(e)
        elif ch < " ":
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def encode(v):
    """Compact JSON for str/int/float/bool/None/list/dict without importing json."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return _s(v)
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(encode(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(_s(str(k)) + ":" + encode(x) for k, x in v.items()) + "}"
    return _s(str(v))
