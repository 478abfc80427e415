"""The real ansible-rulebook runs the example rulebook (extensions/eda/rulebooks/amt_alerts.yml) with the
oob.amt.amt_alerts source against simulated devices:

* both devices are subscribed with amt_alert_subscription (digest credentials for the listener);
* a fan failure injected on one device travels device -> HTTP POST (CIM_AlertIndication) -> source ->
  rule -> the eda_hardware_ticket playbook, which reads the device with amt_info and writes a ticket;
* three boot failures on the other device trip the throttled rule, whose playbook power-cycles it;
  two boot failures on the first device do not.

ansible-rulebook lives in build/eda-venv (make eda-venv); the test builds it when it is missing.
"""
import json
import os
import socket
import subprocess
import time

import yaml

from tests.integration.runner import REPO
from tests.simulator.harness import Simulator, free_port

EDA_VENV = os.path.join(REPO, 'build', 'eda-venv')
RULEBOOK_BIN = os.path.join(EDA_VENV, 'bin', 'ansible-rulebook')
LISTENER_USER = 'amt-alerts'
LISTENER_PASSWORD = 'Listener-Pass1'


def _ensure_rulebook():
    if not os.path.exists(RULEBOOK_BIN):
        subprocess.run(['make', 'eda-venv'], cwd=REPO, check=True)
    assert os.path.exists(RULEBOOK_BIN), 'ansible-rulebook could not be installed in build/eda-venv'


def _subscribe(sim, addr, port):
    from ansible_collections.oob.amt.plugins.module_utils.amt.alerts import OPERATION
    from ansible_collections.oob.amt.plugins.module_utils.device import CONNECTION_ARGSPEC, execute
    params = dict((k, v.get('default')) for k, v in CONNECTION_ARGSPEC.items())
    params.update((k, v.get('default')) for k, v in OPERATION.options.items())
    params.update(host=addr, password=sim.admin_password, ca_path=sim.ca_path,
                  listener_url='http://127.0.0.1:%d/amt' % port, listener_username=LISTENER_USER,
                  listener_password=LISTENER_PASSWORD, argument='floor-3')
    result, _warnings = execute(OPERATION, params)
    assert result.get('changed') is True, result
    assert LISTENER_PASSWORD not in json.dumps(result)


def _wait(predicate, timeout, what, proc=None, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.5)
    text = open(log).read()[-6000:] if log and os.path.exists(log) else ''
    raise AssertionError('timed out waiting for %s\n%s' % (what, text))


def _listening(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(('127.0.0.1', port)) == 0


def test_fan_failure_reaches_rulebook_and_boot_failures_power_cycle(tmp_path):
    _ensure_rulebook()
    tickets = tmp_path / 'tickets'
    port = free_port()
    with Simulator(devices=2, mode='ccm') as sim:
        fan_dev, boot_dev = sim.addresses
        for addr in sim.addresses:
            _subscribe(sim, addr, port)
        inventory = tmp_path / 'inventory.yml'
        inventory.write_text(yaml.safe_dump({'all': {'hosts': {'localhost': {
            'ansible_connection': 'local',
            'ansible_python_interpreter': os.path.join(REPO, '.venv', 'bin', 'python'),
            'amt_ca_path': sim.ca_path}}}}))
        variables = tmp_path / 'vars.yml'
        variables.write_text(yaml.safe_dump({'listener_port': port, 'listener_username': LISTENER_USER,
                                             'listener_password': LISTENER_PASSWORD,
                                             'amt_ticket_dir': str(tickets)}))
        env = dict(os.environ)
        env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, '.collections'), AMT_PASSWORD=sim.admin_password,
                   PATH=os.path.join(EDA_VENV, 'bin') + os.pathsep + env.get('PATH', ''),
                   ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), HOME=str(tmp_path))
        log = str(tmp_path / 'rulebook.log')
        with open(log, 'w') as out:
            rulebook = os.path.join(REPO, 'extensions', 'eda', 'rulebooks', 'amt_alerts.yml')
            proc = subprocess.Popen([RULEBOOK_BIN, '-r', rulebook, '-i', str(inventory), '--vars', str(variables), '-v'],
                                    cwd=str(tmp_path), env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait(lambda: _listening(port), 120, 'the amt_alerts source to listen', proc, log)

            # A fan failure on one device -> a ticket with the device's inventory.
            injected = sim._control('POST', '/devices/%s/events' % fan_dev, {'kind': 'fan_failure'})
            assert injected['subscribers'] == 1
            ticket_files = _wait(lambda: list(tickets.glob('%s-*.json' % fan_dev)) if tickets.exists()
                                 else [], 180, 'the hardware ticket', proc, log)
            ticket = json.loads(ticket_files[0].read_text())
            assert ticket['host'] == fan_dev
            assert ticket['severity'] == 'critical'
            assert ticket['sensor_type'] == 'fan'
            assert 'fan failure' in ticket['title']
            assert ticket['record']['entity'] == 'Fan cooling'
            assert ticket['device']['general']['hostname'] == sim.state(fan_dev)['hostname']
            assert ticket['device']['power']['state'] == 'on'
            # the device authenticated to the listener with digest: the delivery needed a challenge and passed
            deliveries = sim._control('GET', '/devices/%s/deliveries' % fan_dev)
            assert [d['status'] for d in deliveries] == [200]
            assert not list(tickets.glob('%s-*.json' % boot_dev))

            # Boot failures: two on the fan device (below the threshold), three on the other device.
            cycles_before = sim.state(boot_dev).get('power_requests', []).count(5)
            for _i in range(2):
                sim._control('POST', '/devices/%s/events' % fan_dev, {'kind': 'boot_failure'})
            for _i in range(3):
                sim._control('POST', '/devices/%s/events' % boot_dev, {'kind': 'boot_failure'})
                time.sleep(0.3)
            note = tickets / ('%s-boot-recovery.json' % boot_dev)
            _wait(note.exists, 180, 'the boot recovery playbook', proc, log)
            assert sim.state(boot_dev).get('power_requests', []).count(5) == cycles_before + 1
            assert json.loads(note.read_text())['power_state']['after']['name'] == 'on'
            time.sleep(3)
            assert 5 not in sim.state(fan_dev).get('power_requests', [])
            assert not (tickets / ('%s-boot-recovery.json' % fan_dev)).exists()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        text = open(log).read()
        assert LISTENER_PASSWORD not in text
