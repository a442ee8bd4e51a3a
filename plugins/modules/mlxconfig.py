#!/usr/bin/python

# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mlxconfig
short_description: Make the firmware parameters of an NVIDIA/Mellanox NIC match
version_added: 0.1.0
author:
  - rdmaops.fabric maintainers (@rdmaops)
description:
  - Makes the non-volatile firmware configuration (the C(Next Boot) values) of one ConnectX or
    BlueField adapter match O(params), with C(mlxconfig) from NVIDIA MFT or C(mstconfig) from mstflint.
  - Runs exactly one query per run, C(<tool> -d DEVICE -e q), which prints the C(Default), C(Current)
    and C(Next Boot) value of every parameter the firmware supports. The whole table is read so that
    a misspelt parameter can be reported together with the closest names the device knows. When
    a parameter is an array element (V(NAME[i])), the query names the requested parameters instead
    (C(<tool> -d DEVICE -e q NAME[i] OTHER...)), because the full table shows arrays only as
    C(Array[0..7]).
  - Then, only if some value differs, runs exactly one C(<tool> -d DEVICE -y set A=x B=y) that carries
    every differing parameter and nothing else. The query is never repeated.
  - Symbolic and numeric values are equivalent. V(ETH), V(2) and V(ETH(2\)) all match V(ETH(2\));
    V(true), V(True), V(yes), V(on), V(1) and boolean C(true) all match V(True(1\)).
  - New values take effect after the next reboot (or firmware reset); RV(reboot_required) says
    whether one is needed. This module never reboots.
extends_documentation_fragment:
  - rdmaops.fabric._attributes
attributes:
  check_mode:
    support: full
    details:
      - Runs the query only; the C(set) command is never run in check mode.
  diff_mode:
    support: full
    details:
      - Shows the C(Next Boot) values of the parameters that change, before and after.
options:
  device:
    description:
      - The adapter to configure, as the tool accepts it.
      - A PCI address with or without PCI domain (V(0000:af:00.0), V(af:00.0)), an MST device path
        (V(/dev/mst/mt4119_pciconf0), needs C(mst start) with MFT), or an RDMA device name (V(mlx5_0)).
      - Address one physical function; firmware parameters are per adapter, the PCI function only selects it.
    type: str
    required: true
  params:
    description:
      - Firmware parameters and their desired values, a dictionary of parameter name to value.
      - Names are matched case-insensitively against the names the tool prints, for example
        C(SRIOV_EN), C(NUM_OF_VFS), C(LINK_TYPE_P1).
      - Values may be integers, booleans or strings; enums may be given by symbol (V(ETH)), by code
        (V(2)) or as the tool prints them (V(ETH(2\))).
      - Elements of array parameters are addressed as C(NAME[i]), for example C(HOST_CHAINING_DESCRIPTORS[3]).
        An array parameter without an index fails.
      - An empty dictionary only queries the device.
    type: dict
    required: true
  tool:
    description:
      - Which tool to use.
      - V(auto) uses C(mlxconfig) (NVIDIA MFT) when it is on the PATH, otherwise C(mstconfig) (mstflint).
      - Both support C(-e) (Default/Current columns) in every release this module supports (MFT and
        mstflint 4.6 or later).
    type: str
    choices: [auto, mlxconfig, mstconfig]
    default: auto
notes:
  - Every command runs with C(LC_ALL=C) and C(LANGUAGE=C) so that the output can be parsed.
  - The tool must be able to open the device, which normally needs root (C(become)).
  - When the firmware cannot report C(Current) (ConnectX-3 era), RV(reboot_required) is true exactly
    when the module changed something; a change made earlier that still waits for a reboot cannot be seen.
  - The query reads every parameter the firmware supports; on large adapters this takes a few seconds.
  - A value the firmware rejects fails the task with the tool's C(-E-) message and the parameter named;
    the tool then writes nothing.
requirements:
  - C(mlxconfig) from NVIDIA MFT, or C(mstconfig) from mstflint.
seealso:
  - name: NVIDIA mlxconfig documentation
    description: Firmware parameters and their values.
    link: https://docs.nvidia.com/networking/display/mftv4300/using+mlxconfig
"""

EXAMPLES = r"""
- name: Enable SR-IOV with 8 VFs and Ethernet on both ports
  rdmaops.fabric.mlxconfig:
    device: "0000:af:00.0"
    params:
      SRIOV_EN: true
      NUM_OF_VFS: 8
      LINK_TYPE_P1: ETH
      LINK_TYPE_P2: ETH
  register: fw

- name: Say whether the host needs a reboot for the new firmware values
  ansible.builtin.debug:
    msg: "reboot needed: {{ fw.reboot_required }}"

- name: Switch a VPI card to InfiniBand with mstflint's mstconfig, numeric code form
  rdmaops.fabric.mlxconfig:
    device: af:00.0
    tool: mstconfig
    params:
      LINK_TYPE_P1: 1

- name: Set one element of an array parameter
  rdmaops.fabric.mlxconfig:
    device: /dev/mst/mt41686_pciconf0
    params:
      HOST_CHAINING_DESCRIPTORS[3]: 128

- name: Read parameters without changing anything
  rdmaops.fabric.mlxconfig:
    device: "0000:3b:00.0"
    params:
      NUM_OF_VFS: 8
  check_mode: true
  register: fw_query
"""

RETURN = r"""
tool:
  description: The tool that was used.
  returned: always
  type: str
  sample: mlxconfig
device:
  description: The device as given in O(device).
  returned: always
  type: str
  sample: "0000:af:00.0"
reboot_required:
  description:
    - True when some requested value is not the running (C(Current)) value, so a reboot or
      firmware reset is needed for the configuration to take effect.
    - When the firmware does not report C(Current), true exactly when the module changed something.
  returned: always
  type: bool
  sample: true
current:
  description:
    - The running (C(Current)) value of every requested parameter, as the tool printed it.
    - Integers for numbers, the symbolic name without the V((N\)) suffix for enums (C(ETH), C(True)),
      C(null) when the firmware does not report it.
  returned: always
  type: dict
  sample: {"SRIOV_EN": "False", "NUM_OF_VFS": 0, "LINK_TYPE_P1": "ETH"}
next_boot:
  description:
    - The C(Next Boot) value of every requested parameter once the module ran (in check mode, what it
      would be). Same forms as RV(current). The values found before the change are in RV(changes).
  returned: always
  type: dict
  sample: {"SRIOV_EN": "True", "NUM_OF_VFS": 8, "LINK_TYPE_P1": "ETH"}
default:
  description:
    - The factory C(Default) value of every requested parameter; C(null) when the firmware does not report it.
  returned: always
  type: dict
  sample: {"SRIOV_EN": "False", "NUM_OF_VFS": 0, "LINK_TYPE_P1": "VPI"}
changes:
  description: The parameters that were (in check mode, would be) set, with their C(Next Boot) value before and after.
  returned: always
  type: dict
  sample: {"SRIOV_EN": {"before": "False", "after": "True"}, "NUM_OF_VFS": {"before": 0, "after": 8}}
device_info:
  description: The device header the tool printed.
  returned: always
  type: dict
  contains:
    device_type:
      description: Device type, for example C(ConnectX5), C(BlueField2).
      type: str
      returned: when printed
    name:
      description: Part number; C(null) when the tool prints C(N/A).
      type: str
      returned: when printed
    description:
      description: Adapter description; C(null) when the tool prints C(N/A).
      type: str
      returned: when printed
    device:
      description: The device the tool opened.
      type: str
      returned: when printed
  sample: {"device_type": "ConnectX5", "name": "MCX556A-ECA_Ax", "description": null, "device": "0000:af:00.0"}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.rdmaops.fabric.plugins.module_utils import _mlxconfig as mlx

LC_ENV = {"LANGUAGE": "C", "LC_ALL": "C"}


class MlxConfig:
    """Query -> compare -> set, with one query and at most one set."""

    def __init__(self, module):
        self.module = module
        self.device = module.params["device"]
        self.desired = module.params["params"]
        self.tool, self.binary = self._find_tool(module.params["tool"])

    def _find_tool(self, choice):
        candidates = mlx.TOOLS if choice == "auto" else (choice,)
        for name in candidates:
            path = self.module.get_bin_path(name)
            if path:
                return name, path
        if choice == "auto":
            self.module.fail_json(
                msg="Neither mlxconfig nor mstconfig was found on the PATH: install {} or {}.".format(
                    mlx.TOOL_PACKAGES["mlxconfig"], mlx.TOOL_PACKAGES["mstconfig"]
                )
            )
        self.module.fail_json(msg=f"{choice} was not found on the PATH: install {mlx.TOOL_PACKAGES[choice]}.")
        return None, None  # not reached

    def _validate(self):
        if not mlx.is_valid_device(self.device):
            self.module.fail_json(
                msg=f"device {self.device!r} is not a PCI address (0000:af:00.0 or af:00.0), "
                "an MST path (/dev/mst/...) or an RDMA device name (mlx5_0)."
            )
        seen = {}
        indexed = False
        for name, value in self.desired.items():
            try:
                index = mlx.split_param_name(name)[1]
            except ValueError as exc:
                self.module.fail_json(msg=str(exc))
            indexed = indexed or index is not None
            if name.upper() in seen:
                self.module.fail_json(msg=f"parameter {name} is given twice (also as {seen[name.upper()]}).")
            seen[name.upper()] = name
            try:
                mlx.normalize_desired(value)
            except ValueError as exc:
                self.module.fail_json(msg=f"parameter {name}: {exc}")
        return indexed

    def _run(self, argv):
        rc, out, err = self.module.run_command(argv)
        return rc, out or "", err or ""

    def _fail(self, msg, **kwargs):
        self.module.fail_json(msg=msg, tool=self.tool, device=self.device, **kwargs)

    def _fail_unknown(self, unknown, known):
        parts = []
        for name in unknown:
            close = mlx.closest_names(name, known)
            parts.append(f"{name} (closest: {', '.join(close)})" if close else f"{name} (no close match)")
        self._fail(
            msg=f"Unknown firmware parameter(s) for {self.device}: {'; '.join(parts)}.",
            unknown_params=list(unknown),
        )

    def query(self, targeted):
        names = list(self.desired) if targeted else None
        argv = mlx.build_query_argv(self.binary, self.device, names)
        rc, out, err = self._run(argv)
        parsed = mlx.parse_query(out)
        errors = parsed["errors"] + mlx.extract_messages(err, "-E-")
        if rc != 0 or (errors and not parsed["params"]):
            unknown = mlx.unknown_params_from_errors(errors)
            if unknown:
                known = list(parsed["params"]) + ([] if parsed["params"] and not targeted else list(mlx.COMMON_PARAMS))
                self._fail_unknown(unknown, known)
            requested_found = all(mlx.find_row(parsed["params"], n) for n in self.desired)
            if parsed["params"] and requested_found and mlx.only_tlv_query_failures(errors):
                self.module.warn(f"{self.tool} could not read some unrelated parameters: {' '.join(errors)}")
            else:
                detail = errors[0] if errors else (err.strip() or out.strip() or f"exit code {rc}")
                if mlx.rejects_verbosity_flag(out + "\n" + err):
                    detail += f" ({self.tool} does not accept -e: MFT or mstflint 4.6 or later is required)"
                self._fail(
                    msg=f"{self.tool} could not query {self.device}: {detail}",
                    rc=rc,
                    stdout=out,
                    stderr=err,
                    cmd=argv,
                )
        if not parsed["params"]:
            self._fail(
                msg=f"{self.tool} printed no configuration table for {self.device}.",
                rc=rc,
                stdout=out,
                stderr=err,
                cmd=argv,
            )
        return parsed

    def apply(self, assignments):
        argv = mlx.build_set_argv(self.binary, self.device, assignments)
        rc, out, err = self._run(argv)
        result = mlx.parse_set_output(out + "\n" + err)
        if rc != 0 or result["applied"] is False or result["errors"]:
            text = " ".join(result["errors"]).upper()
            names = [a[0] for a in assignments]
            named = [n for n in names if n.upper() in text] or names
            detail = result["errors"][0] if result["errors"] else (err.strip() or f"exit code {rc}")
            self._fail(
                msg=f"{self.tool} could not set {', '.join(named)} on {self.device}: {detail}",
                rc=rc,
                stdout=out,
                stderr=err,
                cmd=argv,
            )

    def run(self):
        targeted = self._validate()
        parsed = self.query(targeted)
        plan = mlx.plan(self.desired, parsed)
        if plan["unknown"]:
            self._fail_unknown(plan["unknown"], list(parsed["params"]) + (list(mlx.COMMON_PARAMS) if targeted else []))
        if plan["arrays"]:
            name, summary = next(iter(plan["arrays"].items()))
            self._fail(
                msg=f"{name} is an array parameter ({summary}); set its elements as {name}[i], for example {name}[0]."
            )
        if plan["bad_values"]:
            self._fail(msg="; ".join(f"parameter {n}: {why}" for n, why in plan["bad_values"].items()))
        if plan["read_only"]:
            self._fail(
                msg=f"read-only parameter(s) cannot be changed on {self.device}: {', '.join(plan['read_only'])}."
            )

        if plan["set"] and not self.module.check_mode:
            self.apply(plan["set"])

        names = list(self.desired)
        result = dict(
            changed=plan["changed"],
            reboot_required=plan["reboot_required"],
            tool=self.tool,
            device=self.device,
            current={n: plan["current"].get(n) for n in names},
            next_boot={n: plan["after"].get(n) for n in names},
            default={n: plan["default"].get(n) for n in names},
            changes=plan["changes"],
            device_info=parsed["device_info"],
        )
        if self.module._diff:
            result["diff"] = dict(
                before={n: c["before"] for n, c in plan["changes"].items()},
                after={n: c["after"] for n, c in plan["changes"].items()},
                before_header=f"{self.device} (next boot)",
                after_header=f"{self.device} (next boot)",
            )
        self.module.exit_json(**result)


def build_module():
    return AnsibleModule(
        argument_spec=dict(
            device=dict(type="str", required=True),
            params=dict(type="dict", required=True),
            tool=dict(type="str", default="auto", choices=["auto", "mlxconfig", "mstconfig"]),
        ),
        supports_check_mode=True,
    )


def main():
    module = build_module()
    module.run_command_environ_update = LC_ENV
    MlxConfig(module).run()


if __name__ == "__main__":
    main()
