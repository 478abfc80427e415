"""Print what the demo did, from the playbook's saved results and the simulator's request log."""
import collections
import glob
import json
import os
import sys

demo = sys.argv[1]
log = collections.Counter()
actions = collections.Counter()
with open(os.path.join(demo, 'requests.log')) as fh:
    for line in fh:
        entry = json.loads(line)
        log[entry['device']] += 1
        action = (entry['action'] or 'Identify').rsplit('/', 1)[-1]
        actions[action if entry['status'] != 401 else 'digest challenge (401)'] += 1

rows = []
for path in sorted(glob.glob(os.path.join(demo, 'results', '*-info.json'))):
    name = os.path.basename(path)[:-len('-info.json')]
    info = json.load(open(path))['amt_info']
    power = json.load(open(os.path.join(demo, 'results', name + '-power.json')))
    g = info['general']
    before = power['on']['power_state']['before']['name']
    did = []
    if power['on']['changed']:
        did.append('on')
    if not power['cycle'].get('skipped') and power['cycle'].get('changed'):
        did.append('cycle')
    if power['again']['changed']:
        did.append('UNEXPECTED change on re-run')
    rows.append((name, info['host'], info['identify']['product_version'], g['amt_version'], g['control_mode'],
                 g['realm'][:15] + '…', g['uuid'][:8] + '…', before, ','.join(did) or '-', log[info['host']]))

header = ('host', 'address', 'Identify', 'version', 'mode', 'realm', 'uuid', 'power was', 'did', 'HTTP')
widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
print()
print('== Devices (Identify, Get AMT_GeneralSettings, Enumerate CIM_ServiceAvailableToElement ... per device)')
for r in [header] + rows:
    print('  '.join(str(v).ljust(w) for v, w in zip(r, widths)))
print()
provisioned = sorted(glob.glob(os.path.join(demo, 'results', '*-provision.json')))
if provisioned:
    print('== Provisioning (smb_mode and enterprise_mode roles on the devices discovery found unprovisioned)')
    for path in provisioned:
        print('  %s: now %s' % (os.path.basename(path)[:-len('-provision.json')],
                                json.load(open(path))['control_mode'].upper()))
    print()
alarms = {}
for path in sorted(glob.glob(os.path.join(demo, 'results', '*-alarms.json'))):
    alarms[os.path.basename(path)[:-len('-alarms.json')]] = json.load(open(path))
if alarms:
    print('== Power schedule: alarm clocks on the devices (power-on fires without a controller)')
    for name, items in alarms.items():
        print('  %s: %s' % (name, ', '.join('%s/%s' % (a['name'], a['interval']) for a in items) or '-'))
    timers = sorted(glob.glob(os.path.join(demo, 'timers', '*.timer')))
    print('== Power schedule: controller timers (power-off, daily re-apply)')
    for path in timers:
        on_calendar = [line for line in open(path) if line.startswith('OnCalendar=')][0].strip()
        service = open(path[:-len('.timer')] + '.service').read()
        limit = service.split('--limit ', 1)[1].split()[0]
        what = 're-apply the schedules (alarms follow daylight saving) for' if 'reapply' in path else 'power off'
        print('  %s: %s -> %s %s' % (os.path.basename(path), on_calendar, what, limit))
print()
print('== HTTP exchanges by operation: ' + ', '.join('%s %d' % kv for kv in actions.most_common()))
print('== %d devices, %d exchanges in all' % (len(rows), sum(log.values())))
