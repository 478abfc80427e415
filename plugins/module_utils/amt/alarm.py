# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device's own alarm clock (IPS_AlarmClockOccurrence): wake-ups that need no controller."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import re

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation, OutcomeLost, write_or_reread
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import Datetime, Embedded, Interval
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanError

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


def _describe_alarms(alarms):
    return 'alarms %s' % (', '.join('%s (%s)' % (a['name'], a['start']) for a in alarms) or 'none')


def _warn(result, out):
    if isinstance(out, OutcomeLost):
        result.setdefault('warnings', []).append(out.warning)


def _delete(client, name, result):
    out = write_or_reread(client, 'the deletion of alarm %s' % name,
                          lambda: client.delete('IPS_AlarmClockOccurrence', {'InstanceID': name}),
                          lambda: read_alarms(client), lambda found: not any(a['name'] == name for a in found),
                          describe=_describe_alarms)
    _warn(result, out)


def _add(client, alarm, result):
    def present(found):
        return any(a['name'] == alarm['name'] and _same_series(a, alarm) for a in found)
    out = write_or_reread(client, 'AddAlarm %s' % alarm['name'],
                          lambda: client.invoke('AMT_AlarmClockService', 'AddAlarm',
                                                [('AlarmTemplate', _template(alarm['name'], alarm['start'],
                                                                             alarm['interval'],
                                                                             alarm['delete_on_completion']))]),
                          lambda: read_alarms(client), present, describe=_describe_alarms)
    _warn(result, out)


def _next_start(alarm, now=None):
    """The start of an existing alarm as AddAlarm accepts it again (firmware refuses a past start): the next
    occurrence of a recurring alarm, or None for a one-shot alarm whose time has passed."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    try:
        when = datetime.datetime.strptime(alarm['start'], '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None
    step = _normalise_interval(alarm['interval'])
    if when <= now:
        if not isinstance(step, int) or step <= 0:
            return None
        periods = int((now - when).total_seconds() // (step * 60)) + 1
        when += datetime.timedelta(minutes=step * periods)
    return when.strftime('%Y-%m-%dT%H:%M:%SZ')


def _replace(client, existing, wanted, result):
    """Move an alarm: the firmware refuses a second alarm with the same InstanceID, so the old one is deleted first
    and put back when adding the new one fails. A failure says what the device holds now and changed says
    whether it differs from before."""
    if not existing:
        _add(client, wanted, result)
        return
    _delete(client, existing['name'], result)
    try:
        _add(client, wanted, result)
    except (AmtError, WsmanError) as err:
        reason = err.msg if isinstance(err, AmtError) else err.message
        restore = dict(existing, start=_next_start(existing))
        try:
            if restore['start'] is None:
                raise AlarmError('a one-shot alarm whose time has passed cannot be added again')
            _add(client, restore, {})
        except (AmtError, WsmanError) as again:
            raise AlarmError('adding the new alarm failed after the old one was deleted (%s), and putting the old one '
                             'back failed too (%s): the device no longer holds alarm %s'
                             % (reason, again.msg if isinstance(again, AmtError) else again.message, existing['name']),
                             changed=True, alarm=None)
        raise AlarmError('adding the new alarm failed (%s); the old alarm was put back (start %s), so the device is '
                         'unchanged' % (reason, restore['start']), changed=False,
                         alarm=restore)


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
                _delete(client, name, result)
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
                _replace(client, existing, wanted, result)
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
