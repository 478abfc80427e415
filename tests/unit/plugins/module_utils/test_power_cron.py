"""Cron jobs of the power_schedule role fire in the entry's time zone whatever the controller's: the fields list the
controller-local hours an occurrence can fall on (both sides of daylight-saving changes), the guard passes only at the
entry's local time. Run in a subprocess per controller time zone (TZ + tzset)."""
import json
import os
import subprocess
import sys
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
CODE = '''
import json, sys, time
sys.path.insert(0, %r)
time.tzset()
from ansible_collections.oob.amt.plugins.module_utils.power_schedule import cron_for, timers_for
print(json.dumps(cron_for(json.loads(sys.argv[1]), sys.argv[2], sys.argv[3])))
''' % os.path.join(REPO, '.collections')


def cron(controller_tz, days, time_text, tz):
    out = subprocess.run([sys.executable, '-c', CODE, json.dumps(days), time_text, tz], capture_output=True, text=True,
                         env=dict(os.environ, TZ=controller_tz), check=True)
    return json.loads(out.stdout)


def test_same_zone_is_exact():
    c = cron('UTC', ['mon', 'fri'], '19:30', 'UTC')
    assert (c['minute'], c['hour'], c['weekday']) == ('30', '19', '1,5')


def test_berlin_entry_on_a_new_york_controller_covers_both_offsets():
    c = cron('America/New_York', ['mon', 'tue', 'wed', 'thu', 'fri'], '07:00', 'Europe/Berlin')
    assert c['minute'] == '0' and c['hour'] == '1,2'     # 6 h apart most of the year, 5 h for a few weeks
    assert c['weekday'] == '1,2,3,4,5'


def test_berlin_entry_on_a_utc_controller_shifts_with_summer_time():
    c = cron('UTC', ['sun'], '01:30', 'Europe/Berlin')
    assert c['hour'] == '0,23' and c['minute'] == '30' and c['weekday'] == '0,6'   # Saturday 23:30 UTC in summer


@pytest.mark.parametrize('now,runs', [('10700', True), ('50700', True), ('10600', False), ('60700', False)])
def test_guard_passes_only_at_the_local_time(now, runs):
    c = cron('UTC', ['mon', 'fri'], '07:00', 'Europe/Berlin')
    fake = tempfile.mkdtemp()
    with open(os.path.join(fake, 'date'), 'w') as fh:
        fh.write('#!/bin/sh\n[ "$TZ" = Europe/Berlin ] && [ "$1" = "+%%u%%H%%M" ] && echo %s\n' % now)
    os.chmod(os.path.join(fake, 'date'), 0o755)
    guard = c['guard'].replace('\\%', '%')          # crontab unescapes \\% before handing the line to sh
    proc = subprocess.run(['/bin/sh', '-c', guard + ' echo RAN'], capture_output=True, text=True,
                          env={'PATH': fake + ':/usr/bin:/bin'}, check=False)
    assert ('RAN' in proc.stdout) is runs, (guard, proc.stdout, proc.stderr)
