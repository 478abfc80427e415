# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device clock: read it, report the drift against the controller, set it.

AMT_TimeSynchronizationService as rpc-go internal/commands/configure/syncclock.go uses it (read, not copied):
GetLowAccuracyTimeSynch returns Ta0 (device seconds since 1970); SetHighAccuracyTimeSynch(Ta0, Tm1, Tm2)
with Ta0 as read, Tm1 = controller time when Ta0 arrived, Tm2 = controller time when sending.
The drift is Ta0 minus the controller's clock at the middle of the exchange (1 s resolution).
Alarm clocks (amt_alarm, power_schedule) fire on the device clock, so a drifting clock moves them.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import time

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanError

SERVICE = 'AMT_TimeSynchronizationService'
PT_MEANINGS = {1: 'internal error', 16: 'not permitted', 32: 'the device is not activated',
               36: 'invalid parameter (the device did not accept Ta0 or the times)'}


class TimeError(AmtError):
    """Refused or failed; the message says what and how to fix it."""


OPTIONS = dict(
    state=dict(type='str', default='synced', choices=['synced', 'read']),
    max_drift=dict(type='int', default=2),
)


def _iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def read_clock(client, now=time.time):
    """(ta0, tm1, drift seconds)."""
    sent = now()
    out = client.invoke(SERVICE, 'GetLowAccuracyTimeSynch', [], check_return=False)
    received = now()
    if out['ReturnValue']:
        raise TimeError('GetLowAccuracyTimeSynch failed: ReturnValue %d (%s)' % (
            out['ReturnValue'], PT_MEANINGS.get(out['ReturnValue'], 'unknown')), return_value=out['ReturnValue'])
    try:
        ta0 = int(str(out.get('Ta0')).strip())
    except ValueError:
        raise TimeError('the device returned no usable Ta0 (%r)' % out.get('Ta0'))
    middle = (sent + received) / 2.0
    # Ta0 is the device clock truncated to the second: on average half a second behind it
    return ta0, int(received), ta0 + 0.5 - middle


def check_params(params):
    if params.get('max_drift') is not None and params['max_drift'] < 1:
        raise TimeError('option max_drift must be at least 1 second (the device clock has 1 s resolution)')
    return params


def run_time(client, params, check_mode=False, diff=False, now=time.time):
    check_params(params)
    ta0, tm1, drift = read_clock(client, now)
    result = {'changed': False, 'device_time': _iso(ta0), 'controller_time': _iso(tm1),
              'drift_seconds': round(drift, 1), 'max_drift': params['max_drift']}
    if params['state'] == 'synced' and abs(drift) > params['max_drift']:
        result['changed'] = True
        if not check_mode:
            tm2 = int(now())
            out = client.invoke(SERVICE, 'SetHighAccuracyTimeSynch', [('Ta0', ta0), ('Tm1', tm1), ('Tm2', tm2)],
                                check_return=False)
            if out['ReturnValue']:
                raise TimeError('SetHighAccuracyTimeSynch failed: ReturnValue %d (%s)' % (
                    out['ReturnValue'], PT_MEANINGS.get(out['ReturnValue'], 'unknown')),
                    return_value=out['ReturnValue'])
            _ta0, _tm1, after = read_clock(client, now)
            result['drift_after_seconds'] = round(after, 1)
        else:
            result['drift_after_seconds'] = 0.0
    else:
        result['drift_after_seconds'] = result['drift_seconds']
    if diff:
        result['diff'] = {'before': {'drift_seconds': result['drift_seconds']},
                          'after': {'drift_seconds': result['drift_after_seconds']}}
    result['exchanges'] = client.exchanges
    return result


OPERATION = Operation(OPTIONS, run_time, name=lambda params: 'clock %s' % params['state'], prepare=check_params,
                      fleet=True)

__all__ = ['OPERATION', 'run_time', 'read_clock', 'TimeError', 'WsmanError']
