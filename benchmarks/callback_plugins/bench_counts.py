# Benchmark callback: per-host task results of one ansible-playbook run, written as JSON to
# $BENCH_COUNTS_FILE at the end (counts only, so it adds nothing to the controller's memory).
from __future__ import annotations

import json
import os
from collections import defaultdict

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_counts
type: aggregate
short_description: per-host task result counts for benchmarks/run.py
description:
  - Counts ok, changed, skipped, failed and unreachable results per host and writes them as JSON
    to the file named by the environment variable BENCH_COUNTS_FILE when the run ends.
requirements:
  - enabled in ANSIBLE_CALLBACKS_ENABLED
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_counts"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.counts = defaultdict(lambda: defaultdict(int))

    def _count(self, result, kind):
        host = result._host.get_name()
        self.counts[host][kind] += 1
        if kind == "ok" and result._result.get("changed"):
            self.counts[host]["changed"] += 1

    def v2_runner_on_ok(self, result):
        self._count(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._count(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._count(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_COUNTS_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as f:
                json.dump({h: dict(c) for h, c in self.counts.items()}, f)
