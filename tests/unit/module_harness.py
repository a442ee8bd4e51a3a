# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's ``main()`` in-process with a scripted ``run_command``.

``commands`` is the ordered list of ``(expected_argv, (rc, stdout, stderr))`` the module must run;
any other command, a command out of order, or one left over fails the test. ``bins`` maps tool
names to the path ``get_bin_path`` returns (absent or None: not installed).
"""

from __future__ import annotations

from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


class _Exit(Exception):
    pass


class Result(dict):
    """The module result; ``.calls`` are the argv lists it ran, ``.environ`` their environment updates,
    ``.warnings`` what it passed to ``module.warn``."""

    calls: list
    environ: list
    warnings: list


def _exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    raise _Exit(kwargs)


def _fail_json(self, msg, **kwargs):
    kwargs["failed"] = True
    kwargs["msg"] = msg
    raise _Exit(kwargs)


def run_module(main, args, commands=(), bins=None, check_mode=False, diff=False, expect_fail=False):
    script = list(commands)
    calls = []
    environ = []
    warnings = []
    bins = bins or {}

    def fake_warn(self, warning, **kw):
        warnings.append(warning)

    def fake_run_command(self, args, *a, **kw):
        assert not kw.get("use_unsafe_shell"), "modules must not use a shell"
        assert isinstance(args, list), f"run_command must get an argv list, got {args!r}"
        calls.append(list(args))
        environ.append(dict(self.run_command_environ_update))
        assert script, f"unexpected command {args!r}"
        expected, reply = script.pop(0)
        assert list(args) == list(expected), f"expected {expected!r}, got {args!r}"
        return reply

    def fake_get_bin_path(self, arg, required=False, opt_dirs=None):
        path = bins.get(arg)
        if path is None and required:
            self.fail_json(msg=f"Failed to find required executable {arg!r}")
        return path

    module_args = dict(args)
    module_args["_ansible_check_mode"] = check_mode
    module_args["_ansible_diff"] = diff
    with (
        patch_module_args(module_args),
        mock.patch.multiple(
            basic.AnsibleModule,
            exit_json=_exit_json,
            fail_json=_fail_json,
            run_command=fake_run_command,
            get_bin_path=fake_get_bin_path,
            warn=fake_warn,
        ),
    ):
        result = None
        try:
            main()
        except _Exit as exc:
            result = Result(exc.args[0])
    assert result is not None, "module returned without exit_json/fail_json"
    result.calls = calls
    result.environ = environ
    result.warnings = warnings
    assert bool(result.get("failed")) == expect_fail, f"unexpected outcome: {dict(result)!r}"
    assert not script, f"commands not run: {[step[0] for step in script]!r}"
    return result
