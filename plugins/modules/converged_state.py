#!/usr/bin/python

# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: converged_state
short_description: Record what a converged RDMA host looks like, and tell in one call whether it still does
version_added: 0.1.0
author:
  - rdmaops.fabric maintainers (@rdmaops)
description:
  - With O(state=record) (at the end of a successful host phase) the module reads every item of
    O(watch) (files, sysfs attributes, read-only commands such as one firmware query per NIC) and
    stores what it read, with O(inputs_digest) and the running kernel, in O(path).
  - With O(state=check) (at the start of the next run) it reads the same items again and returns
    RV(converged=true) only when the inputs, the kernel and every item are still what was recorded.
    The playbook then skips the host roles on that host, so that a re-run that has nothing to
    change costs one task per host instead of the roles' task count.
  - The check stops at the first difference and names it in RV(reason). It reads the cheap items
    first (files, then packages, then firmware, then commands), so that a changed file costs no tool call.
  - With O(state=absent) the record is removed, so that a run that stops half-way leaves no
    record behind and the next run converges in full.
  - The record file is written with mode C(0600), because the commands it lists run as root on the next check.
extends_documentation_fragment:
  - rdmaops.fabric._attributes
attributes:
  check_mode:
    support: full
    details:
      - O(state=check) only reads. O(state=record) and O(state=absent) report the change and write nothing.
  diff_mode:
    support: none
options:
  state:
    description:
      - V(check) compares the host with the record, V(record) writes it, V(absent) removes it.
    type: str
    choices: [check, record, absent]
    default: check
  path:
    description:
      - The record file.
    type: path
    default: /var/lib/rdmaops/converged.json
  inputs_digest:
    description:
      - A digest of everything the roles were given (role variables, collection content), computed
        by the playbook. A different digest means the desired state changed.
      - Required with O(state=check) and O(state=record).
    type: str
  watch:
    description:
      - What each role manages, by role name; required with O(state=record), ignored otherwise
        (the check reads the list from the record).
      - Each value is a dict with C(files) (paths; a file is compared by content, a symbolic link
        by target, a directory by existence), C(packages) (names; compared by version and, on
        Debian, hold state, with one C(dpkg-query) or C(rpm -q) call per role), C(firmware) (a list of
        C(device), C(tool) (V(mlxconfig) or V(mstconfig)) and C(params), the desired firmware
        parameters; the check makes one query per device and needs every parameter at its
        desired value in both the current and the next-boot column; the record runs no query), C(commands)
        (argument lists of read-only commands, run without a shell; compared by exit code and
        standard output) and C(facts) (returned as facts by a check that finds the host converged).
    type: dict
"""

EXAMPLES = r"""
- name: Is this host still as the last converged run left it?
  rdmaops.fabric.converged_state:
    inputs_digest: "{{ my_inputs | to_json | hash('sha256') }}"
  register: converged

- name: Record the converged host
  rdmaops.fabric.converged_state:
    state: record
    inputs_digest: "{{ my_inputs | to_json | hash('sha256') }}"
    watch:
      netns_mode:
        files: [/etc/modprobe.d/ib_core.conf]
        commands: [[rdma, system]]
"""

RETURN = r"""
converged:
  description: With O(state=check), whether the inputs, the kernel and every watched item match the record.
  returned: success
  type: bool
recorded:
  description: Whether a record existed before this call.
  returned: success
  type: bool
reason:
  description: With O(state=check), the first difference found (empty when converged).
  returned: success
  type: str
  sample: "sriov_firmware: 0000:3b:00.0: NUM_OF_VFS is 16 (wanted 8)"
observed:
  description: How many files and commands were read.
  returned: success
  type: int
"""

import hashlib
import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.rdmaops.fabric.plugins.module_utils import _mlxconfig as mlx

FORMAT = 1
LC_ENV = {"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C"}
WATCH_KEYS = ("files", "packages", "firmware", "commands", "facts")
# Version and selection state (Debian "hi " = held) of each package; one line per package.
PACKAGE_QUERIES = (
    ("dpkg-query", ["-W", "-f=${Package} ${Version} ${db:Status-Abbrev}\n"]),
    ("rpm", ["-q", "--qf", "%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE}.%{ARCH}\n"]),
)


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def read_file_state(path):
    """One comparable value per path: content digest, link target, "directory" or "missing"."""
    try:
        if os.path.islink(path):
            return "link:" + os.readlink(path)
        if os.path.isdir(path):
            return "directory"
        with open(path, "rb") as handle:
            return "sha256:" + _sha256(handle.read())
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable:{exc.errno}"


def command_label(argv):
    return "`" + " ".join(argv) + "`"


class Observer:
    """Reads watched items; counts what it read."""

    def __init__(self, module):
        self.module = module
        self.count = 0

    def file(self, path):
        self.count += 1
        return read_file_state(path)

    def command(self, argv):
        self.count += 1
        binary = argv[0] if os.path.isabs(argv[0]) else self.module.get_bin_path(argv[0])
        if not binary:
            return "not found"
        rc, out, _err = self.module.run_command([binary, *list(argv[1:])])
        return f"rc={rc} sha256:{_sha256(out.encode('utf-8', 'surrogateescape'))}"

    def packages(self, names):
        for tool, options in PACKAGE_QUERIES:
            binary = self.module.get_bin_path(tool)
            if binary:
                return self.command([binary, *options, *sorted(names)])
        self.count += 1
        return "no package manager"

    def firmware_difference(self, entry):
        """Why the NIC's firmware is not at the desired values ("" when it is): one query."""
        self.count += 1
        device, params = entry["device"], entry["params"]
        binary = self.module.get_bin_path(entry["tool"])
        if not binary:
            return f"{entry['tool']} is not installed"
        argv = mlx.build_query_argv(binary, device, list(params))
        rc, out, err = self.module.run_command(argv)
        parsed = mlx.parse_query(out)
        if not parsed["params"]:  # a non-zero rc with the rows present is a TLV the firmware cannot read
            return f"the firmware query of {device} failed (rc={rc}): {(err or out).strip()[:200]}"
        plan = mlx.plan(params, parsed)
        if plan["unknown"] or plan["bad_values"]:
            return f"{device} does not report {', '.join(plan['unknown'] + list(plan['bad_values']))}"
        if plan["changed"]:
            return f"{device}: " + ", ".join(
                f"{n} is {c['before']} (wanted {c['after']})" for n, c in plan["changes"].items()
            )
        if plan["reboot_required"]:
            return f"{device}: a firmware value waits for a reboot ({', '.join(plan['next_boot'])})"
        return ""


def observe_role(observer, spec):
    return {
        "files": {path: observer.file(path) for path in spec.get("files") or []},
        "packages": {"names": sorted(spec["packages"]), "value": observer.packages(spec["packages"])}
        if spec.get("packages")
        else None,
        "firmware": spec.get("firmware") or [],
        "commands": [{"argv": list(argv), "value": observer.command(argv)} for argv in spec.get("commands") or []],
        "facts": spec.get("facts") or {},
    }


def first_difference(observer, record, inputs_digest):
    """The reason the host is not as recorded, or "" when it is. Cheap reads first, stop at the first difference."""
    if record.get("format") != FORMAT:
        return "the record was written by another version of the collection"
    if record.get("inputs_digest") != inputs_digest:
        return "the inputs changed (role variables, inventory groups or collection content)"
    kernel = os.uname().release
    if record.get("kernel") != kernel:
        return f"the running kernel changed ({record.get('kernel')} -> {kernel})"
    roles = record.get("roles") or {}
    for role, seen in roles.items():
        for path, value in (seen.get("files") or {}).items():
            now = observer.file(path)
            if now != value:
                return f"{role}: {path} changed ({_short(value)} -> {_short(now)})"
    for role, seen in roles.items():
        packages = seen.get("packages")
        if packages and observer.packages(packages["names"]) != packages["value"]:
            return f"{role}: a package of {', '.join(packages['names'])} changed (version, presence or hold)"
    for role, seen in roles.items():
        for entry in seen.get("firmware") or []:
            difference = observer.firmware_difference(entry)
            if difference:
                return f"{role}: {difference}"
    for role, seen in roles.items():
        for entry in seen.get("commands") or []:
            if observer.command(entry["argv"]) != entry["value"]:
                return f"{role}: the output of {command_label(entry['argv'])} changed"
    return ""


def _short(value):
    return value[:19] if value.startswith("sha256:") else value


def load_record(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle), ""
    except FileNotFoundError:
        return None, ""
    except (OSError, ValueError) as exc:
        return None, f"the record {path} is unreadable ({exc})"


def write_record(path, text):
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o755, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".converged-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check(module, observer, path):
    record, problem = load_record(path)
    if record is None:
        reason = problem or "no converged run is recorded on this host"
        module.exit_json(changed=False, converged=False, recorded=bool(problem), reason=reason, observed=0)
    reason = first_difference(observer, record, module.params["inputs_digest"])
    result = dict(changed=False, converged=not reason, recorded=True, reason=reason, observed=observer.count)
    if not reason:
        facts = {}
        for seen in (record.get("roles") or {}).values():
            facts.update(seen.get("facts") or {})
        result["ansible_facts"] = facts
    module.exit_json(**result)


def record(module, observer, path):
    watch = module.params["watch"]
    if watch is None:
        module.fail_json(msg="watch is required with state=record")
    for role, spec in watch.items():
        if not isinstance(spec, dict) or set(spec) - set(WATCH_KEYS):
            module.fail_json(msg=f"watch.{role} must be a dict with the keys {', '.join(WATCH_KEYS)} (got {spec!r})")
        for entry in spec.get("firmware") or []:
            if (
                not isinstance(entry, dict)
                or set(entry) != {"device", "tool", "params"}
                or not isinstance(entry["params"], dict)
            ):
                module.fail_json(
                    msg=f"watch.{role}.firmware: each entry is a dict of device, tool and params (got {entry!r})"
                )
        for argv in spec.get("commands") or []:
            if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
                module.fail_json(
                    msg=f"watch.{role}.commands: each command is a non-empty list of strings (got {argv!r})"
                )
    stamp = {
        "format": FORMAT,
        "inputs_digest": module.params["inputs_digest"],
        "kernel": os.uname().release,
        "roles": {role: observe_role(observer, spec) for role, spec in sorted(watch.items())},
    }
    text = json.dumps(stamp, indent=1, sort_keys=True) + "\n"
    try:
        with open(path, encoding="utf-8") as handle:
            changed = handle.read() != text
    except OSError:
        changed = True
    if changed and not module.check_mode:
        try:
            write_record(path, text)
        except OSError as exc:
            module.fail_json(msg=f"cannot write the converged record {path}: {exc}")
    module.exit_json(changed=changed, recorded=os.path.exists(path), observed=observer.count)


def remove(module, path):
    present = os.path.lexists(path)
    if present and not module.check_mode:
        try:
            os.unlink(path)
        except OSError as exc:
            module.fail_json(msg=f"cannot remove the converged record {path}: {exc}")
    module.exit_json(changed=present, recorded=present, observed=0)


def build_module():
    return AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["check", "record", "absent"], default="check"),
            path=dict(type="path", default="/var/lib/rdmaops/converged.json"),
            inputs_digest=dict(type="str"),
            watch=dict(type="dict"),
        ),
        required_if=[("state", "check", ["inputs_digest"]), ("state", "record", ["inputs_digest", "watch"])],
        supports_check_mode=True,
    )


def main():
    module = build_module()
    module.run_command_environ_update = LC_ENV
    observer = Observer(module)
    state, path = module.params["state"], module.params["path"]
    if state == "check":
        check(module, observer, path)
    elif state == "record":
        record(module, observer, path)
    else:
        remove(module, path)


if __name__ == "__main__":
    main()
