"""Documented workflows as a new user runs them (issue 14): a discovery inventory and nothing else - no
ANSIBLE_PYTHON_INTERPRETER, no compose, PATH without the venv - is enough for the playbooks; SMB registrations are
read back by them; reconciliation lists unreadable devices; unprovision.yml forgets failed devices from the cache the
inventory plugin really uses."""
import glob
import json
import os
import subprocess
import tempfile

import pytest
import yaml

from tests.integration.runner import REPO

PASSWORD = 'P@ssw0rd'


def clean_env(home, **extra):
    """What a login shell with the venv NOT activated has: /usr/bin/python3 (no lxml) would be picked by discovery."""
    env = {'PATH': '/usr/bin:/bin', 'HOME': home, 'LANG': 'C.UTF-8',
           'ANSIBLE_COLLECTIONS_PATH': os.path.join(REPO, '.collections'), 'ANSIBLE_NOCOLOR': '1'}
    env.update(extra)
    return env


def ansible(tool, args, home, **extra):
    return subprocess.run([os.path.join(REPO, '.venv', 'bin', tool)] + args, capture_output=True, text=True,
                          env=clean_env(home, **extra), cwd=home, timeout=600, check=False)


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator
    with Simulator(devices=3) as sim:
        yield sim


def site(sim, directory, **options):
    cfg = {'plugin': 'oob.amt.amt', 'ranges': ['%s-%s' % (sim.addresses[0], sim.addresses[-1])], 'ca_path': sim.ca_path}
    cfg.update(options)
    path = os.path.join(directory, 'site1.amt.yml')
    with open(path, 'w') as fh:
        yaml.safe_dump(cfg, fh)
    return path


def test_trust_and_interpreter_come_from_the_inventory(fleet):
    home = tempfile.mkdtemp(dir=fleet.state_dir)
    inv = site(fleet, home)
    run = ansible('ansible-playbook', ['-i', inv, os.path.join(REPO, 'playbooks', 'power.yml'), '-e', 'power_state=status'],
                  home, AMT_PASSWORD=PASSWORD)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    for addr in fleet.addresses:                 # printed without -v, one line per device
        name = 'pc-%s-%s' % tuple(addr.split('.')[2:])
        assert '"msg": "%s: on"' % name in run.stdout, run.stdout[-3000:]
    group_by = run.stdout.split('TASK [Group hosts by role in the run]')[1].split('TASK [')[0]
    assert 'changed:' not in group_by and 'ok:' in group_by
    listing = json.loads(ansible('ansible-inventory', ['-i', inv, '--list'], home, AMT_PASSWORD=PASSWORD).stdout)
    hostvars = listing['_meta']['hostvars']
    assert all(v['amt_ca_path'] == fleet.ca_path for v in hostvars.values())
    assert all(v['ansible_python_interpreter'] == '{{ ansible_playbook_python }}' for v in hostvars.values())


def test_interpreter_can_be_overridden(fleet):
    home = tempfile.mkdtemp(dir=fleet.state_dir)
    inv = site(fleet, home, python_interpreter='/opt/py/bin/python3', enrich=False)
    listing = json.loads(ansible('ansible-inventory', ['-i', inv, '--list'], home).stdout)
    assert {v['ansible_python_interpreter'] for v in listing['_meta']['hostvars'].values()} == {'/opt/py/bin/python3'}


def test_pinned_fingerprints_reach_the_modules(fleet):
    import hashlib
    import socket
    import ssl
    home = tempfile.mkdtemp(dir=fleet.state_dir)
    pins = {}
    for addr in fleet.addresses:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        with ctx.wrap_socket(socket.create_connection((addr, 16993), timeout=5)) as tls:
            pins[addr] = hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()
    cfg = {'plugin': 'oob.amt.amt', 'ranges': ['%s-%s' % (fleet.addresses[0], fleet.addresses[-1])],
           'cert_fingerprints': pins}
    inv = os.path.join(home, 'pinned.amt.yml')
    with open(inv, 'w') as fh:
        yaml.safe_dump(cfg, fh)
    listing = json.loads(ansible('ansible-inventory', ['-i', inv, '--list'], home, AMT_PASSWORD=PASSWORD).stdout)
    hostvars = listing['_meta']['hostvars']
    assert all(v['amt_enriched'] for v in hostvars.values()), hostvars     # enrichment verified the pins
    run = ansible('ansible-playbook', ['-i', inv, os.path.join(REPO, 'playbooks', 'power.yml'), '-e', 'power_state=status'],
                  home, AMT_PASSWORD=PASSWORD)
    assert run.returncode == 0, run.stdout[-3000:]


def test_smb_registration_is_what_the_playbooks_read(tmp_path):
    from tests.simulator.harness import Simulator
    with Simulator(devices=1, mode='pre') as sim:
        addr = sim.addresses[0]
        state = sim.state(addr)
        reg = tmp_path / 'host_vars'
        hosts = {'all': {'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}',
                                  'amt_ca_path': sim.ca_path},
                         'children': {'amt_hosts': {'hosts': {'pc1': {
                             'amt_host': addr, 'smb_mode_lms_host': addr, 'smb_mode_lms_port': 16990,
                             'smb_mode_local_username': state['local_username'],
                             'smb_mode_local_password': state['local_password'], 'smb_mode_host_vars_dir': str(reg)}}}}}}
        (tmp_path / 'hosts.yml').write_text(yaml.safe_dump(hosts))
        run = ansible('ansible-playbook', ['-i', str(tmp_path / 'hosts.yml'), os.path.join(REPO, 'playbooks', 'provision_smb.yml'),
                                           '-e', 'provision_become=false'], str(tmp_path), AMT_PASSWORD=PASSWORD)
        assert run.returncode == 0, run.stdout[-3000:]
        registration = yaml.safe_load((reg / 'pc1.yml').read_text())
        assert registration == {'amt_host': addr, 'amt_control_mode': 'ccm', 'amt_ca_path': sim.ca_path}
        # a management inventory made of nothing but the registration (host_vars next to it)
        (tmp_path / 'managed.yml').write_text(yaml.safe_dump({'all': {'children': {'amt': {'hosts': {'pc1': {
            'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}}}}))
        run = ansible('ansible-playbook', ['-i', str(tmp_path / 'managed.yml'), os.path.join(REPO, 'playbooks', 'power.yml'),
                                           '-e', 'power_state=status'], str(tmp_path), AMT_PASSWORD=PASSWORD)
        assert run.returncode == 0 and '"msg": "pc1: on"' in run.stdout, run.stdout[-3000:]


def test_reconcile_lists_unreadable_devices_with_the_reason(fleet):
    home = tempfile.mkdtemp(dir=fleet.state_dir)
    inv = site(fleet, home, compose={'amt_password': "'Wrong-Pass1!' if amt_host.endswith('.%s') else '%s'"
                                     % (fleet.addresses[1].rsplit('.', 1)[1], PASSWORD)})
    reports = os.path.join(home, 'reports')
    run = ansible('ansible-playbook', ['-i', inv, os.path.join(REPO, 'playbooks', 'reconcile.yml'),
                                       '-e', 'reconcile_report_dir=%s' % reports], home, AMT_PASSWORD=PASSWORD)
    assert run.returncode == 0, run.stdout[-3000:]
    with open(os.path.join(reports, 'reconcile.json')) as fh:
        report = json.load(fh)
    rows = dict((r['device']['address'], r) for r in report['devices'] if r['device'])
    assert sorted(rows) == sorted(fleet.addresses)
    bad = rows[fleet.addresses[1]]
    assert bad['status'] == 'unreadable' and 'authentication' in bad['reason'].lower(), bad
    assert report['summary']['unreadable'] == 1
    with open(os.path.join(reports, 'reconcile.md')) as fh:
        assert 'unreadable' in fh.read()


def test_unprovision_playbook_forgets_from_the_plugins_default_cache(fleet):
    home = tempfile.mkdtemp(dir=fleet.state_dir)
    inv = site(fleet, home, cache=True)            # nothing else: jsonfile at ~/.cache/oob-amt by default
    assert ansible('ansible-inventory', ['-i', inv, '--list'], home, AMT_PASSWORD=PASSWORD).returncode == 0
    cached = glob.glob(os.path.join(home, '.cache', 'oob-amt', '*'))
    assert cached and fleet.addresses[2] in open(cached[0]).read()
    fleet.faults(fleet.addresses[2], lockout=True)
    try:
        run = ansible('ansible-playbook', ['-i', inv, os.path.join(REPO, 'playbooks', 'unprovision.yml'),
                                           '-l', 'pc-%s-%s' % tuple(fleet.addresses[2].split('.')[2:]),
                                           '-e', 'unprovision_forget_on_failure=true'], home, AMT_PASSWORD=PASSWORD)
    finally:
        fleet.faults(fleet.addresses[2])
    assert run.returncode != 0 and 'forget_on_failure' in run.stdout + run.stderr, run.stdout[-3000:]
    text = open(cached[0]).read()
    assert fleet.addresses[2] not in text and fleet.addresses[0] in text
    assert fleet.state(fleet.addresses[2])['provisioning_state'] == 2
