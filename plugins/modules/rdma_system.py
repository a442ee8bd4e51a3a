#!/usr/bin/python

# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: rdma_system
short_description: Make the RDMA subsystem mode (network namespace sharing, privileged QKEY) match
version_added: 0.1.0
author:
  - rdmaops.fabric maintainers (@rdmaops)
description:
  - Reads C(rdma system) (iproute2) and, where the running mode differs, switches it with
    C(rdma system set netns shared|exclusive) and C(rdma system set privileged-qkey on|off).
  - In V(shared) mode every network namespace sees every RDMA device (RDMA shared device plugin);
    in V(exclusive) mode an RDMA device belongs to one network namespace (SR-IOV VF per pod).
  - With O(persistent=true) the mode is also written to O(modprobe_conf) as
    C(options ib_core netns_mode=<1|0>), so that it survives a reboot.
  - The kernel refuses the runtime switch while network namespaces other than the initial one
    exist (C(Device or resource busy)). That is not a failure when the setting is persistent; the
    module returns RV(reboot_required=true) instead.
extends_documentation_fragment:
  - rdmaops.fabric._attributes
attributes:
  check_mode:
    support: full
    details:
      - Runs C(rdma system) only. In check mode a runtime switch is predicted to succeed, so
        RV(reboot_required) stays false.
  diff_mode:
    support: full
    details:
      - Shows the change of O(modprobe_conf) and of the running C(rdma system) attributes.
options:
  netns:
    description:
      - The RDMA network namespace mode.
      - At least one of O(netns) and O(privileged_qkey) is required.
    type: str
    choices: [shared, exclusive]
  privileged_qkey:
    description:
      - Whether non-privileged processes may use privileged (controlled) QKEYs.
      - Runtime only; it is not persisted.
      - Needs iproute2 6.7 or later and Linux 6.5 or later; fails when C(rdma system) does not report it.
      - Omit to leave it unchanged.
    type: bool
  persistent:
    description:
      - Write O(netns) to O(modprobe_conf) (C(options ib_core netns_mode=1) for V(shared), V(0) for
        V(exclusive)) so that it applies from the next boot on.
      - Other lines and other C(ib_core) options in the file are kept; the previous file is backed up
        when it is changed.
      - Ignored when O(netns) is not given.
    type: bool
    default: true
  modprobe_conf:
    description:
      - The modprobe configuration file that holds the C(ib_core netns_mode) option.
    type: path
    default: /etc/modprobe.d/ib_core.conf
notes:
  - Every command runs with C(LC_ALL=C) and C(LANGUAGE=C).
  - When C(ib_core) is loaded from the initramfs, the initramfs must be rebuilt for O(modprobe_conf)
    to take effect at boot; the calling role does that.
  - Needs C(rdma) from iproute2 5.3 or later (C(rdma system)).
requirements:
  - iproute2 5.3 or later (C(rdma system)); 6.7 or later for O(privileged_qkey).
"""

EXAMPLES = r"""
- name: Exclusive RDMA netns mode (one RDMA device per pod), now and after reboots
  rdmaops.fabric.rdma_system:
    netns: exclusive
  register: rdma_mode

- name: Note that a reboot is needed because other network namespaces block the switch
  ansible.builtin.set_fact:
    rdmaops_reboot_reasons: "{{ (rdmaops_reboot_reasons | default([])) + ['rdma netns mode'] }}"
  when: rdma_mode.reboot_required

- name: Shared mode for the RDMA shared device plugin, runtime only
  rdmaops.fabric.rdma_system:
    netns: shared
    persistent: false

- name: Allow non-privileged processes to use privileged QKEYs
  rdmaops.fabric.rdma_system:
    privileged_qkey: true
"""

RETURN = r"""
netns:
  description: The running RDMA netns mode after the module ran (in check mode, what it would be).
  returned: always
  type: str
  sample: exclusive
netns_persistent:
  description: The mode O(modprobe_conf) sets, C(null) when the file does not set it.
  returned: always
  type: str
  sample: exclusive
reboot_required:
  description: True when the running netns mode is not the desired one because the kernel refused the switch.
  returned: always
  type: bool
  sample: false
privileged_qkey:
  description: The running privileged QKEY mode; C(null) when the kernel or iproute2 does not report it.
  returned: always
  type: bool
  sample: false
copy_on_fork:
  description: Whether the kernel reports copy-on-fork support; C(null) when not reported.
  returned: always
  type: bool
  sample: true
monitor:
  description: Whether the kernel reports RDMA monitoring support; C(null) when not reported.
  returned: always
  type: bool
  sample: true
backup_file:
  description: The backup of O(modprobe_conf) made before it was changed.
  returned: when the file existed and was changed
  type: str
  sample: /etc/modprobe.d/ib_core.conf.12345.2025-01-01@00:00:00~
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.rdmaops.fabric.plugins.module_utils import _rdma as rdma

LC_ENV = {"LANGUAGE": "C", "LC_ALL": "C"}


def _on_off(flag):
    return "on" if flag else "off"


class RdmaSystem:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.rdma = module.get_bin_path("rdma")
        if not self.rdma:
            module.fail_json(
                msg=f"rdma was not found on the PATH: install iproute2 {rdma.IPROUTE2_MIN_SYSTEM} or later "
                "(package 'iproute2')."
            )
        self.result = dict(changed=False, reboot_required=False)
        self.diffs = []

    def _run(self, argv):
        rc, out, err = self.module.run_command(argv)
        return rc, out or "", err or ""

    def _iproute2_version(self):
        _rc, out, err = self._run([self.rdma, "-V"])
        return rdma.parse_iproute2_version(out + err) or "unknown"

    def read_state(self):
        argv = [self.rdma, "system"]
        rc, out, err = self._run(argv)
        if rdma.rdma_object_unknown(out + err, "system"):
            self.module.fail_json(
                msg=f"This rdma tool (iproute2 {self._iproute2_version()}) has no 'system' object: "
                f"iproute2 {rdma.IPROUTE2_MIN_SYSTEM} or later is required.",
                rc=rc,
                stdout=out,
                stderr=err,
            )
        state = rdma.parse_rdma_system(out)
        if rc != 0 or state["netns"] is None:
            self.module.fail_json(
                msg=f"'rdma system' failed: {(err or out).strip() or f'exit code {rc}'}",
                rc=rc,
                stdout=out,
                stderr=err,
                cmd=argv,
            )
        return state

    def persist(self, netns):
        path = self.p["modprobe_conf"]
        existing = None
        if os.path.exists(path):
            try:
                with open(path, encoding="utf-8") as handle:
                    existing = handle.read()
            except OSError as exc:
                self.module.fail_json(msg=f"cannot read {path}: {exc}")
        wanted = rdma.render_modprobe_conf(existing, netns)
        if wanted == existing:
            return netns
        self.result["changed"] = True
        self.diffs.append(
            dict(before=existing or "", after=wanted, before_header=path, after_header=path),
        )
        if self.module.check_mode:
            return netns
        directory = os.path.dirname(path) or "."
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            if existing is not None:
                self.result["backup_file"] = self.module.backup_local(path)
            fd, tmp = tempfile.mkstemp(prefix=".rdma_system.", dir=directory)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(wanted)
            os.chmod(tmp, 0o644)
        except OSError as exc:
            self.module.fail_json(msg=f"cannot write {path}: {exc}")
        self.module.atomic_move(tmp, path)
        return netns

    def set_netns(self, netns, persisted):
        argv = [self.rdma, "system", "set", "netns", netns]
        rc, out, err = self._run(argv)
        if rc == 0 and not (out + err).strip().lower().startswith("error"):
            return True
        if rdma.is_busy_error(out + err):
            if persisted:
                self.result["reboot_required"] = True
                self.module.warn(
                    f"The kernel refused to switch the RDMA netns mode to {netns} now because other network "
                    "namespaces exist; it is written to the modprobe configuration and applies after a reboot."
                )
                return False
            self.module.fail_json(
                msg=f"The kernel refused to switch the RDMA netns mode to {netns} because other network namespaces "
                "exist. Use persistent=true to apply it at the next boot, or remove the other namespaces.",
                rc=rc,
                stdout=out,
                stderr=err,
                cmd=argv,
            )
        self.module.fail_json(
            msg=f"'rdma system set netns {netns}' failed: {(err or out).strip() or f'exit code {rc}'}",
            rc=rc,
            stdout=out,
            stderr=err,
            cmd=argv,
        )
        return False  # not reached

    def set_privileged_qkey(self, flag):
        argv = [self.rdma, "system", "set", "privileged-qkey", _on_off(flag)]
        rc, out, err = self._run(argv)
        if rc != 0 or (out + err).strip().lower().startswith("error"):
            self.module.fail_json(
                msg=f"'rdma system set privileged-qkey {_on_off(flag)}' failed: "
                f"{(err or out).strip() or f'exit code {rc}'}",
                rc=rc,
                stdout=out,
                stderr=err,
                cmd=argv,
            )

    def run(self):
        want_netns = self.p["netns"]
        want_qkey = self.p["privileged_qkey"]
        state = self.read_state()
        before = dict(state)
        after = dict(state)

        if want_qkey is not None and state["privileged_qkey"] is None:
            self.module.fail_json(
                msg="'rdma system' does not report privileged-qkey: setting it needs iproute2 "
                f"{rdma.IPROUTE2_MIN_PRIVILEGED_QKEY} or later and Linux {rdma.KERNEL_MIN_PRIVILEGED_QKEY} or later "
                f"(rdma system printed: {' '.join(f'{k}={v}' for k, v in state.items() if v is not None)}).",
            )

        persist = want_netns and self.p["persistent"]
        persisted = self.persist(want_netns) if persist else self._read_persisted()

        # A switch the kernel refuses changes nothing: not `changed`, but `reboot_required`.
        switch = want_netns and state["netns"] != want_netns
        if switch and (self.module.check_mode or self.set_netns(want_netns, persisted == want_netns)):
            self.result["changed"] = True
            after["netns"] = want_netns

        if want_qkey is not None and state["privileged_qkey"] != want_qkey:
            self.result["changed"] = True
            if not self.module.check_mode:
                self.set_privileged_qkey(want_qkey)
            after["privileged_qkey"] = want_qkey

        if before != after:
            self.diffs.append(
                dict(
                    before=_system_text(before),
                    after=_system_text(after),
                    before_header="rdma system",
                    after_header="rdma system",
                )
            )
        self.result.update(
            netns=after["netns"],
            netns_persistent=persisted,
            privileged_qkey=after["privileged_qkey"],
            copy_on_fork=after["copy_on_fork"],
            monitor=after["monitor"],
        )
        if self.module._diff:
            self.result["diff"] = self.diffs
        self.module.exit_json(**self.result)

    def _read_persisted(self):
        path = self.p["modprobe_conf"]
        try:
            with open(path, encoding="utf-8") as handle:
                return rdma.parse_modprobe_netns_mode(handle.read())
        except OSError:
            return None


def _system_text(state):
    parts = [f"netns {state['netns']}"]
    for key, label in (
        ("privileged_qkey", "privileged-qkey"),
        ("monitor", "monitor"),
        ("copy_on_fork", "copy-on-fork"),
    ):
        if state[key] is not None:
            parts.append(f"{label} {_on_off(state[key])}")
    return " ".join(parts) + "\n"


def build_module():
    return AnsibleModule(
        argument_spec=dict(
            netns=dict(type="str", choices=["shared", "exclusive"]),
            privileged_qkey=dict(type="bool"),
            persistent=dict(type="bool", default=True),
            modprobe_conf=dict(type="path", default="/etc/modprobe.d/ib_core.conf"),
        ),
        required_one_of=[("netns", "privileged_qkey")],
        supports_check_mode=True,
    )


def main():
    module = build_module()
    module.run_command_environ_update = LC_ENV
    RdmaSystem(module).run()


if __name__ == "__main__":
    main()
