# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.oob.amt.plugins.module_utils.amt.power import PowerError, argument_spec, run_power
from ansible_collections.oob.amt.plugins.plugin_utils.amt_action import AmtActionBase


def _operation(params):
    return 'power %s' % params.get('state')


def _run(client, params, check_mode=False, diff=False):
    return run_power(client, params, check_mode=check_mode, diff=diff)


class ActionModule(AmtActionBase):
    ARGUMENT_SPEC = staticmethod(argument_spec)
    RUN = staticmethod(_run)
    OPERATION = staticmethod(_operation)
    DOMAIN_ERRORS = (PowerError,)
