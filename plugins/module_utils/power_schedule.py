# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn schedule entries (the console's zone/folder/device power schedules) into alarms and timers."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import hashlib
import re

try:
    from zoneinfo import ZoneInfo
except ImportError:  # pragma: no cover - Python < 3.9 controllers
    ZoneInfo = None

DAYS = ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')
ACTIONS = ('on', 'off', 'reset', 'cycle')
_TIME_RE = re.compile(r'^([01]?\d|2[0-3]):([0-5]\d)$')
_NAME_RE = re.compile(r'^[A-Za-z0-9_.-]{1,20}$')


class ScheduleError(ValueError):
    pass


def _zone(name):
    if not name or name.upper() == 'UTC':
        return datetime.timezone.utc
    if ZoneInfo is None:
        raise ScheduleError('time zones other than UTC need Python 3.9+ (zoneinfo) on the controller')
    try:
        return ZoneInfo(name)
    except Exception:
        raise ScheduleError('unknown time zone %r' % name)


def normalise(entry):
    """Validated copy of one entry: name, action, days, time, timezone."""
    if not isinstance(entry, dict):
        raise ScheduleError('each schedule entry must be a dict, got %r' % (entry,))
    name = str(entry.get('name', ''))
    if not _NAME_RE.match(name):
        raise ScheduleError('schedule entry name %r must be 1-20 characters of letters, digits, . _ -' % name)
    action = entry.get('action')
    if action not in ACTIONS:
        raise ScheduleError('schedule entry %s: action must be one of %s, got %r' % (name, ', '.join(ACTIONS), action))
    days = entry.get('days') or list(DAYS)
    if isinstance(days, str):
        days = [d.strip() for d in days.split(',')]
    days = [str(d).lower()[:3] for d in days]
    bad = [d for d in days if d not in DAYS]
    if bad:
        raise ScheduleError('schedule entry %s: unknown days %s (use mon..sun)' % (name, ', '.join(bad)))
    time_text = str(entry.get('time', ''))
    if not _TIME_RE.match(time_text):
        raise ScheduleError('schedule entry %s: time must be HH:MM (24 h), got %r' % (name, time_text))
    tz = entry.get('timezone') or 'UTC'
    _zone(tz)
    return {'name': name, 'action': action, 'days': [d for d in DAYS if d in days], 'time': time_text, 'timezone': tz}


def next_occurrence(day, time_text, tz, now=None):
    """Next UTC datetime of weekday `day` at local `time_text` in `tz`."""
    zone = _zone(tz)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    local_now = now.astimezone(zone)
    hour, minute = (int(x) for x in time_text.split(':'))
    target = DAYS.index(day)
    for offset in range(0, 8):
        date = (local_now + datetime.timedelta(days=offset)).date()
        if date.weekday() != target:
            continue
        candidate = datetime.datetime(date.year, date.month, date.day, hour, minute, tzinfo=zone)
        if candidate > now + datetime.timedelta(minutes=1):
            return candidate.astimezone(datetime.timezone.utc)
    raise ScheduleError('no next occurrence found')  # unreachable: a weekday repeats within 8 days


def alarms_for(entries, prefix='sched-', now=None):
    """Device alarm clocks for the power-on entries: one weekly alarm per day, or one daily alarm."""
    out = []
    for entry in entries or []:
        e = normalise(entry)
        if e['action'] != 'on':
            continue
        if len(e['days']) == 7:
            starts = [('daily', min((next_occurrence(d, e['time'], e['timezone'], now) for d in DAYS)), 'P1D')]
        else:
            starts = [(d, next_occurrence(d, e['time'], e['timezone'], now), 'P7D') for d in e['days']]
        for label, start, interval in starts:
            out.append({'name': ('%s%s-%s' % (prefix, e['name'], label))[:32],
                        'start': start.strftime('%Y-%m-%dT%H:%M:%SZ'), 'interval': interval})
    if len(out) > 5:
        raise ScheduleError('the power-on entries need %d device alarms (%s) but AMT holds at most 5; '
                            'use fewer days or a daily entry' % (len(out), ', '.join(a['name'] for a in out)))
    return out


def cron_for(days, time_text, tz, now=None):
    """Cron fields and a job guard that fire at `time_text` on `days` in time zone `tz`, whatever the controller's
    own time zone and whether or not its cron knows CRON_TZ (docs/power.md, "Time zones").

    The fields list every controller-local minute, hour and weekday an occurrence falls on during the next year
    (both sides of each daylight-saving change); the guard lets the job through only when it is that time in `tz`.
    """
    zone = _zone(tz)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    hour, minute = (int(x) for x in time_text.split(':'))
    wanted = [DAYS.index(d) for d in days]
    minutes, hours, weekdays = set(), set(), set()
    start = now.astimezone(zone).date()
    for offset in range(0, 373):
        date = start + datetime.timedelta(days=offset)
        if date.weekday() not in wanted:
            continue
        local = datetime.datetime(date.year, date.month, date.day, hour, minute, tzinfo=zone)
        system = datetime.datetime.fromtimestamp(local.timestamp())      # the controller's local time
        minutes.add(system.minute)
        hours.add(system.hour)
        weekdays.add((system.weekday() + 1) % 7)
    stamps = '|'.join('%d%02d%02d' % (DAYS.index(d) + 1, hour, minute) for d in days)
    guard = 'case "$(TZ=%s date +\\%%u\\%%H\\%%M)" in %s) ;; *) exit 0 ;; esac;' % (tz, stamps)
    return {'minute': ','.join(str(m) for m in sorted(minutes)), 'hour': ','.join(str(h) for h in sorted(hours)),
            'weekday': ','.join(str(w) for w in sorted(weekdays)), 'guard': guard}


def timers_for(host_entries, prefix='oob-amt-power-'):
    """Controller timers for off/reset/cycle: one per distinct entry, with the hosts it applies to.

    host_entries: {inventory_hostname: [entries]} (each host's effective schedule).
    """
    groups = {}
    for host in sorted(host_entries):
        for entry in host_entries[host] or []:
            e = normalise(entry)
            if e['action'] == 'on':
                continue
            key = (e['name'], e['action'], tuple(e['days']), e['time'], e['timezone'])
            groups.setdefault(key, []).append(host)
    out = []
    for (name, action, days, time_text, tz), hosts in sorted(groups.items()):
        digest = hashlib.sha256(repr((days, time_text, tz)).encode()).hexdigest()[:6]
        cron = cron_for(days, time_text, tz)
        day_spec = ','.join(d.capitalize() for d in days)
        out.append({'unit': '%s%s-%s-%s' % (prefix, name, action, digest), 'name': name, 'action': action,
                    'hosts': hosts, 'days': list(days), 'time': time_text, 'timezone': tz,
                    'on_calendar': '%s *-*-* %s:00 %s' % (day_spec, time_text, tz),
                    'cron': dict((k, v) for k, v in cron.items() if k != 'guard'), 'cron_guard': cron['guard']})
    return out


def fleet_plan(host_entries, prefix='sched-', current=None, now=None):
    """The alarm work of a whole fleet, grouped so that one fleet task does each piece (roles/power_schedule,
    tasks/fleet.yml).

    host_entries: {inventory_hostname: [entries]} (each host's effective schedule); current: {inventory_hostname:
    [names of the alarms the device holds]} or None. Every host's alarms are computed against the same `now`, so
    hosts that share an entry share its alarms exactly.

    Returns {'alarms': [{name, start, interval, hosts}], 'remove': [{name, hosts}], 'wanted': {host: [names]}}:
    one item per distinct alarm to write and per alarm name to remove (alarms of the role's prefix that the
    device holds and its schedule no longer has), each with the hosts it applies to, in inventory order.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    order = list(host_entries or {})
    alarms, wanted = {}, {}
    for host in order:
        try:
            host_alarms = alarms_for(host_entries[host], prefix, now)
        except ScheduleError as exc:
            raise ScheduleError('%s: %s' % (host, exc))
        wanted[host] = [a['name'] for a in host_alarms]
        for alarm in host_alarms:
            alarms.setdefault((alarm['name'], alarm['start'], alarm['interval']), []).append(host)
    remove = {}
    for host in order:
        for name in (current or {}).get(host) or []:
            if re.match(prefix, name) and name not in wanted[host]:
                remove.setdefault(name, []).append(host)
    return {'alarms': [{'name': name, 'start': start, 'interval': interval, 'hosts': hosts}
                       for (name, start, interval), hosts in sorted(alarms.items())],
            'remove': [{'name': name, 'hosts': hosts} for name, hosts in sorted(remove.items())],
            'wanted': wanted}
