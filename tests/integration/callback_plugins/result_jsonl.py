# Test-only callback: one JSON line per task result, so tests can assert on changed/failed/values.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = '''
name: result_jsonl
type: aggregate
short_description: write task results as JSON lines (tests only)
description: Writes one JSON object per host and task to the file named by OOB_AMT_RESULTS.
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'result_jsonl'
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, result, status):
        path = os.environ.get('OOB_AMT_RESULTS')
        if not path:
            return
        data = {'host': result._host.get_name(), 'task': result._task.get_name(), 'status': status,
                'result': result._result, 'time': time.time()}
        with open(path, 'a') as fh:
            fh.write(json.dumps(data, default=str) + '\n')

    def v2_runner_on_ok(self, result):
        self._write(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._write(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._write(result, 'unreachable')
