# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a run's outcome leaves a module: the one shape both runners (device.py, file_operation.py) return."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def failed(msg, **extra):
    """A failed result: the extra keys, then failed and msg (as fail_json(msg, **extra) makes it)."""
    result = dict(extra)
    result.update(failed=True, msg=msg)
    return result


def finish_module(module, result, warnings):
    """End an AnsibleModule with a runner's (result, warnings): warn, then fail_json or exit_json."""
    for warning in warnings:
        module.warn(warning)
    if result.pop('failed', False):
        module.fail_json(**result)
    module.exit_json(**result)


__all__ = ['failed', 'finish_module']
