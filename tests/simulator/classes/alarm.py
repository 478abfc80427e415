"""Alarm clock (reference §5.6): up to five IPS_AlarmClockOccurrence instances."""

import datetime
import re

from tests.simulator.registry import ClassHandler, Datetime, EPR, Interval, SoapFault, as_bool, register

MAX_ALARMS = 5
START_RE = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$')
# Firmware is only known to accept the form Intel's clients always send (go-wsman-messages
# pkg/wsman/amt/alarmclock/service.go AddAlarm, MeshCommander index.html showAddAlarmOk): P{d}DT{h}H{m}M,
# with P0DT0H0M for a one-shot alarm. Other ISO 8601 forms (P1D, PT1H) and a missing Interval are refused
# here; whether real firmware takes them is unverified (docs/dev/fidelity.md).
INTERVAL_RE = re.compile(r'^P(\d+)DT(\d+)H(\d+)M$')


def _alarms(device):
    return device.state.setdefault('alarms', [])


@register
class AlarmClockService(ClassHandler):
    name = 'AMT_AlarmClockService'

    def instances(self, device, ctx):
        return [{'CreationClassName': 'AMT_AlarmClockService', 'ElementName': 'Intel(r) AMT Alarm Clock Service',
                 'Name': 'Intel(r) AMT Alarm Clock Service', 'SystemCreationClassName': 'CIM_ComputerSystem',
                 'SystemName': 'ManagedSystem'}]

    def method_AddAlarm(self, device, params, ctx):
        template = params.get('AlarmTemplate')
        if not isinstance(template, dict):
            raise SoapFault('SchemaValidationError', detail='AlarmTemplate missing')
        name = template.get('InstanceID') or ''
        start = template.get('StartTime') or ''
        interval = template.get('Interval') or ''
        if not 1 <= len(name) <= 32:
            return {'ReturnValue': 36}
        if not START_RE.match(start):
            return {'ReturnValue': 36}
        when = datetime.datetime.strptime(start, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc)
        if when <= datetime.datetime.now(datetime.timezone.utc):
            return {'ReturnValue': 36}
        m = INTERVAL_RE.match(interval)
        if not m or int(m.group(2)) > 23 or int(m.group(3)) > 59:
            return {'ReturnValue': 36}
        if not any(int(g) for g in m.groups()):
            interval = ''                      # P0DT0H0M: fires once
        alarms = _alarms(device)
        if any(a['name'] == name for a in alarms):
            return {'ReturnValue': 36}
        if len(alarms) >= MAX_ALARMS:
            return {'ReturnValue': 23}
        delete_on_completion = as_bool(template.get('DeleteOnCompletion', 'false'))
        alarms.append({'name': name, 'element_name': template.get('ElementName') or name, 'start': start,
                       'interval': interval or None, 'delete_on_completion': delete_on_completion})
        return {'AlarmClock': EPR('IPS_AlarmClockOccurrence', {'InstanceID': name}), 'ReturnValue': 0}


@register
class AlarmClockOccurrence(ClassHandler):
    name = 'IPS_AlarmClockOccurrence'

    def instances(self, device, ctx):
        out = []
        for a in _alarms(device):
            inst = {'DeleteOnCompletion': a['delete_on_completion'], 'ElementName': a['element_name'],
                    'InstanceID': a['name'], 'StartTime': Datetime(a['start'])}
            if a.get('interval'):
                inst['Interval'] = Interval(a['interval'])
            out.append(inst)
        return out

    def get(self, device, selectors, ctx):
        if not _alarms(device) and not selectors:
            raise SoapFault('InvalidSelectors')
        return super().get(device, selectors, ctx)

    def delete(self, device, selectors, ctx):
        alarms = _alarms(device)
        name = (selectors or {}).get('InstanceID')
        for a in alarms:
            if a['name'] == name:
                alarms.remove(a)
                return
        raise SoapFault('InvalidSelectors')
