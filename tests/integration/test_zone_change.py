"""playbooks/change_zone_certificate.yml fails closed, against a 10-device ACM fleet with five devices that cannot
be moved to the new zone: each of those stays exactly as it was and is named in the report; the others end in Admin
Control Mode with the new zone; a pattern that matches nothing changes nothing and fails."""
import hashlib
import os
import tempfile

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.integration.runner import REPO, run_playbook

PLAYBOOK = os.path.join(REPO, 'playbooks', 'change_zone_certificate.yml')
OK = range(0, 5)
WRONG_PASSWORD, NO_HASH_SLOT, CONTROLLER, LOCAL_CLOSED, OTHER_DOMAIN = 5, 6, 7, 8, 9


def closed_port():
    import socket
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator
    with Simulator(devices=10, mode='acm') as sim:
        yield sim


def fleet_inventory(sim, group='amt_acm'):
    hosts = {}
    for i, addr in enumerate(sim.addresses):
        state = sim.state(addr)
        host = {'amt_host': addr, 'enterprise_mode_lms_host': addr, 'enterprise_mode_lms_port': 16990,
                'enterprise_mode_local_username': state['local_username'],
                'enterprise_mode_local_password': state['local_password']}
        if i == WRONG_PASSWORD:
            host['amt_password'] = 'Wrong-Pass1!'
        if i == CONTROLLER:
            del host['enterprise_mode_lms_host']      # -> localhost:16990 on the controller itself
        if i == LOCAL_CLOSED:
            host['enterprise_mode_lms_port'] = closed_port()
        hosts['pc%02d' % i] = host
    inv = {'all': {'vars': {'ansible_connection': 'local',
                            'ansible_python_interpreter': '{{ ansible_playbook_python }}',
                            'amt_ca_path': sim.ca_path, 'amt_password': sim.admin_password},
                   'children': {group: {'hosts': hosts}}}}
    fd, path = tempfile.mkstemp(suffix='.yml', dir=sim.state_dir)
    with os.fdopen(fd, 'w') as fh:
        yaml.safe_dump(inv, fh)
    return path


def snapshot(sim, addr):
    s = sim.state(addr)
    return {k: s.get(k) for k in ('provisioning_state', 'control_mode', 'provisioning_mode', 'hashes', 'realm',
                                  'admin_password')}


def test_targets_matching_nothing_change_nothing_and_fail(fleet):
    inv = fleet_inventory(fleet, group='lab')
    before = [snapshot(fleet, a) for a in fleet.addresses]
    zone = tempfile.mkdtemp(dir=fleet.state_dir)
    run = run_playbook(PLAYBOOK, inv, {'zone_change_dir': zone})
    assert run.rc != 0
    assert 'matched no host: nothing was changed' in run.stdout
    assert [snapshot(fleet, a) for a in fleet.addresses] == before


def test_dry_run_changes_no_device(fleet):
    inv = fleet_inventory(fleet)
    before = [snapshot(fleet, a) for a in fleet.addresses]
    zone = tempfile.mkdtemp(dir=fleet.state_dir)
    run = run_playbook(PLAYBOOK, inv, {'zone_change_dir': zone}, check=True)
    assert [snapshot(fleet, a) for a in fleet.addresses] == before, run.stdout[-3000:]


def test_fleet_fails_closed(fleet):
    addrs = fleet.addresses
    for i, addr in enumerate(addrs):
        fleet.patch(addr, hash_create_allowed=(i != NO_HASH_SLOT))
    fleet.patch(addrs[OTHER_DOMAIN], domain='other.example.org', pki_dns_suffix='other.example.org')
    inv = fleet_inventory(fleet)
    before = dict((a, snapshot(fleet, a)) for a in addrs)
    zone = tempfile.mkdtemp(dir=fleet.state_dir)
    run = run_playbook(PLAYBOOK, inv, {'zone_change_dir': zone}, forks=10)
    assert run.rc != 0, run.stdout[-3000:]

    with open(os.path.join(zone, 'ca.crt'), 'rb') as fh:
        root = x509.load_pem_x509_certificate(fh.read())
    new_root = hashlib.sha256(root.public_bytes(serialization.Encoding.DER)).hexdigest()
    for i in OK:
        s = fleet.state(addrs[i])
        assert (s['provisioning_state'], s['control_mode']) == (2, 2), (i, run.stdout[-4000:])
        assert new_root in [h['hash'] for h in s['hashes'] if h['enabled']], i
        assert s['realm'] != before[addrs[i]]['realm'], i      # it really went through unprovisioning
    for i in (WRONG_PASSWORD, NO_HASH_SLOT, CONTROLLER, LOCAL_CLOSED, OTHER_DOMAIN):
        assert snapshot(fleet, addrs[i]) == before[addrs[i]], i
    report = run.task('Every target and what happened to it', 'localhost')['result']['msg']
    lines = dict((line.split(' ', 2)[1], line) for line in report)
    assert sorted(lines) == ['pc%02d' % i for i in range(10)]
    for i in OK:
        assert lines['pc%02d' % i].startswith('changed '), lines['pc%02d' % i]
    assert lines['pc%02d' % CONTROLLER].startswith('skipped ') and 'on the controller' in lines['pc%02d' % CONTROLLER]
    assert 'not under the device domain' in lines['pc%02d' % OTHER_DOMAIN] or \
        'must be under the device domain' in lines['pc%02d' % OTHER_DOMAIN]
    for i in (WRONG_PASSWORD, NO_HASH_SLOT, LOCAL_CLOSED):
        assert lines['pc%02d' % i].startswith('skipped '), lines['pc%02d' % i]
    assert 'authentication' in lines['pc%02d' % WRONG_PASSWORD].lower() or '401' in lines['pc%02d' % WRONG_PASSWORD]
    failed = run.task('Fail unless every target is in the new zone', 'localhost')['result']['msg']
    assert failed.startswith('not moved to the new zone: pc05, pc06, pc07, pc08, pc09'), failed
