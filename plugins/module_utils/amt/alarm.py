# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device's own alarm clock (IPS_AlarmClockOccurrence): wake-ups that need no controller."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import re

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import Datetime, Embedded, Interval

MAX_ALARMS = 5
INTERVAL_ALIASES = {'hourly': 'PT1H', 'daily': 'P1D', 'weekly': 'P7D'}
_INTERVAL_RE = re.compile(r'^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$')


class AlarmError(AmtError):
    """An alarm that cannot be set as asked."""


def parse_start(value, now=None):
    """'2026-12-01T06:30:00Z' (or '2026-12-01 06:30', UTC) -> canonical AMT string; must be future, whole minutes."""
    text = str(value).strip().replace(' ', 'T')
    if text.endswith('+00:00'):
        text = text[:-6] + 'Z'
    if not text.endswith('Z'):
        text += 'Z'
    for fmt in ('%Y-%m-%dT%H:%M:%SZ', '%Y-%m-%dT%H:%MZ'):
        try:
            when = datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc)
            break
        except ValueError:
            when = None
    if when is None:
        raise AlarmError('option start must be a UTC time like 2026-12-01T06:30:00Z, got %r' % value)
    if when.second:
        raise AlarmError('option start must be a whole minute (AMT requires seconds = 00), got %r' % value)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if when <= now:
        raise AlarmError('option start must be in the future (UTC now is %s), got %s'
                         % (now.strftime('%Y-%m-%dT%H:%M:%SZ'), when.strftime('%Y-%m-%dT%H:%M:%SZ')))
    return when.strftime('%Y-%m-%dT%H:%M:%SZ')


def parse_interval(value):
    """'daily'/'weekly'/'hourly' or PnDTnHnM -> AMT interval string; None/'' -> one-shot."""
    if value in (None, '', 'none', 'once'):
        return None
    text = INTERVAL_ALIASES.get(str(value).lower(), str(value).upper())
    m = _INTERVAL_RE.match(text)
    if not m or text == 'P' or text.endswith('T') or not any(m.groups()):
        raise AlarmError('option interval must be hourly, daily, weekly or an interval like P1D, PT12H, P1DT6H30M; '
                         'got %r' % value)
    if (m.group(2) and int(m.group(2)) > 23) or (m.group(3) and int(m.group(3)) > 59):
        raise AlarmError('option interval: hours must be 0-23 and minutes 0-59 (use days for longer), got %r' % value)
    minutes = _normalise_interval(text)
    if minutes == 0:
        return None
    return format_interval(minutes)


def format_interval(minutes):
    """The form Intel's clients send: always P{d}DT{h}H{m}M (go-wsman-messages pkg/wsman/amt/alarmclock/service.go
    AddAlarm; MeshCommander index.html showAddAlarmOk); 0 minutes = a one-shot alarm (P0DT0H0M)."""
    minutes = int(minutes or 0)
    return 'P%dDT%dH%dM' % (minutes // 1440, (minutes // 60) % 24, minutes % 60)


def _normalise_interval(text):
    """Compare intervals by value (P1D == P1DT0H0M)."""
    if not text:
        return 0
    m = _INTERVAL_RE.match(text)
    if not m:
        return text
    days, hours, minutes = (int(g or 0) for g in m.groups())
    return (days * 24 + hours) * 60 + minutes


def _same_series(existing, wanted):
    """Same recurring alarm: equal intervals and starts that differ by whole intervals.

    A daily 06:30 alarm created yesterday and one that would start tomorrow fire at the same times,
    so a schedule re-applied later is not a change.
    """
    step = _normalise_interval(existing['interval'])
    if step != _normalise_interval(wanted['interval']):
        return False
    if existing['start'] == wanted['start']:
        return True
    if not isinstance(step, int) or step <= 0:
        return False
    try:
        a = datetime.datetime.strptime(existing['start'], '%Y-%m-%dT%H:%M:%SZ')
        b = datetime.datetime.strptime(wanted['start'], '%Y-%m-%dT%H:%M:%SZ')
    except (TypeError, ValueError):
        return False
    return int((b - a).total_seconds()) % (step * 60) == 0


def validate_name(name):
    if not name or len(name) > 32:
        raise AlarmError('option name must be 1 to 32 characters, got %d' % len(name or ''))


def read_alarms(client):
    return [{'name': a.get('InstanceID'), 'start': a.get('StartTime'),
             'interval': a.get('Interval') if _normalise_interval(a.get('Interval')) else None,
             'delete_on_completion': a.get('DeleteOnCompletion')} for a in client.enumerate('IPS_AlarmClockOccurrence')]


def _template(name, start, interval, delete_on_completion):
    props = [('InstanceID', name), ('ElementName', name), ('StartTime', Datetime(start)),
             ('Interval', Interval(interval or format_interval(0)))]
    props.append(('DeleteOnCompletion', bool(delete_on_completion)))
    return Embedded('IPS_AlarmClockOccurrence', props)


def run_alarm(client, params, check_mode=False, diff=False):
    name = params['name']
    validate_name(name)
    state = params.get('state') or 'present'
    wanted = None
    if state == 'present':
        wanted = {'name': name, 'start': parse_start(params['start']), 'interval': parse_interval(params.get('interval')),
                  'delete_on_completion': bool(params.get('delete_on_completion'))}
    alarms = read_alarms(client)
    existing = next((a for a in alarms if a['name'] == name), None)
    result = {'changed': False, 'alarm': existing, 'alarms_count': len(alarms)}
    if state == 'absent':
        if existing:
            result['changed'] = True
            result['alarm'] = None
            if not check_mode:
                client.delete('IPS_AlarmClockOccurrence', {'InstanceID': name})
    else:
        same = existing and _same_series(existing, wanted) and \
            bool(existing['delete_on_completion']) == wanted['delete_on_completion']
        if not same:
            if not existing and len(alarms) >= MAX_ALARMS:
                raise AlarmError('the device already holds %d alarms (%s), the firmware maximum; remove one first'
                                 % (len(alarms), ', '.join(a['name'] for a in alarms)))
            result['changed'] = True
            result['alarm'] = wanted
            result['replaced'] = bool(existing)
            if not check_mode:
                if existing:
                    client.delete('IPS_AlarmClockOccurrence', {'InstanceID': name})
                client.invoke('AMT_AlarmClockService', 'AddAlarm',
                              [('AlarmTemplate', _template(name, wanted['start'], wanted['interval'],
                                                           wanted['delete_on_completion']))])
    if diff:
        result['diff'] = {'before': existing or {}, 'after': result['alarm'] or {}}
    result['exchanges'] = client.exchanges
    return result


OPTIONS = dict(
    name=dict(type='str', required=True),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    start=dict(type='str'),
    interval=dict(type='str'),
    delete_on_completion=dict(type='bool', default=False),
)


def prepare(params):
    """Refuse a bad time or interval before the device is contacted."""
    if params['state'] == 'present':
        parse_start(params['start'])
        parse_interval(params['interval'])
    return params


OPERATION = Operation(OPTIONS, run_alarm, name=lambda params: 'alarm %s' % params['name'], prepare=prepare,
                      constraints=dict(required_if=[('state', 'present', ['start'])]), fleet=True)
