# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Compare a Kubernetes object definition with the live object (k8s_apply).

The live object has more than the definition (defaults, status, metadata the API server sets),
so the comparison asks: does every field of the definition have the same value in the live
object? Lists must match element by element, so a removed list entry is a difference.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal, InvalidOperation

_QUANTITY = re.compile(r"^([+-]?[0-9.]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_FACTORS = {
    None: 1,
    "m": Decimal("0.001"),
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def quantity(value):
    """A resource quantity ('100m', '0.1', '64Mi') as a Decimal, or None if it is not one."""
    match = _QUANTITY.match(str(value))
    if not match:
        return None
    try:
        return Decimal(match.group(1)) * _FACTORS[match.group(2)]
    except InvalidOperation:
        return None


def _same_scalar(desired, live, path):
    if desired == live and type(desired) is type(live):
        return True
    # The API server writes quantities in canonical form ("0.1" -> "100m").
    if (
        ".resources." in "." + path + "."
        and isinstance(desired, (str, int, float))
        and isinstance(live, (str, int, float))
    ):
        want, got = quantity(desired), quantity(live)
        return want is not None and want == got
    # int-or-string fields (ports, maxUnavailable) may come back as the other type.
    if isinstance(desired, bool) or isinstance(live, bool):
        return desired is live
    if isinstance(desired, (int, str)) and isinstance(live, (int, str)):
        return str(desired) == str(live)
    return False


def _empty(value):
    return value is None or value == {} or value == []


def differences(desired, live, path=""):
    """Paths of the fields of `desired` whose value differs in `live` ([] when none does)."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return [] if not desired and _empty(live) else [path or "."]
        found = []
        for key, value in desired.items():
            found.extend(differences(value, live.get(key), f"{path}.{key}" if path else key))
        return found
    if isinstance(desired, list):
        if not isinstance(live, list):
            return [] if not desired and _empty(live) else [path]
        if len(desired) != len(live):
            return [path]
        found = []
        for index, (want, got) in enumerate(zip(desired, live)):
            found.extend(differences(want, got, f"{path}[{index}]"))
        return found
    if desired is None:
        return []
    return [] if _same_scalar(desired, live, path) else [path]


def project(desired, live):
    """The part of `live` that `desired` describes (the 'before' of a diff)."""
    if isinstance(desired, dict) and isinstance(live, dict):
        return {key: project(value, live[key]) for key, value in desired.items() if key in live}
    if isinstance(desired, list) and isinstance(live, list):
        return [project(want, got) for want, got in zip(desired, live)] + live[len(desired) :]
    return live


def definition_digest(definition):
    """A short digest of a definition; stable across runs and dict orders."""
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]
