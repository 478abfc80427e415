"""No secret leaks: every module (and the roles that write files) at -vvvv in normal, check and diff mode, with
failures included. Admin, MEBx, local-account and PFX passwords and private keys must not appear in stdout,
stderr, results, diffs, the inventory cache or any file the collection writes (key files and setup.bin, whose job
is to hold them, excepted)."""
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ansible_collections.oob.amt.plugins.module_utils.formats import certs as amt_certs
from ansible_collections.oob.amt.plugins.module_utils.zone_ca import run_mgmtcert
from tests.integration.runner import inventory_for, run_playbook

SECRETS = {
    'wrong_password': 'Wr0ng-Leak!1',
    'new_admin_password': 'N3w-Leak!Adm',
    'mebx_current': 'Cur-Leak!Mebx1',
    'mebx_password': 'N3w-Leak!Mebx',
    'pfx_password': 'Pfx-Leak!99',
}
HOLDERS = ('mgmt.key', 'ca.key', 'mgmt.pfx', 'setup.bin')


def _zone(directory):
    params = dict(state='present', ca='internal', path=directory, common_name='prov.corp.example.com', dns_names=[],
                  country=None, state_or_province=None, locality=None, organization=None, organizational_unit=[],
                  is_ca=False, key_type='rsa', key_size=2048, valid_days=30, ca_common_name='Leak CA',
                  ca_key_size=2048, ca_valid_days=60, renew_before_days=1, force=False, force_ca=False,
                  seed_compatibility=False, certificate=None, ca_chain=None, remove_ca=False)
    run_mgmtcert(params)
    with open(os.path.join(directory, 'mgmt.key'), 'rb') as fh:
        key = amt_certs.load_private_key(fh.read())
    chain = amt_certs.load_certificate_file(os.path.join(directory, 'mgmt-chain.pem'))
    pfx = pkcs12.serialize_key_and_certificates(b'mgmt', key, chain[0], chain[1:], serialization.BestAvailableEncryption(
        SECRETS['pfx_password'].encode()))
    with open(os.path.join(directory, 'mgmt.pfx'), 'wb') as fh:
        fh.write(pfx)
    os.makedirs(os.path.join(directory, 'cache'))
    with open(os.path.join(directory, 'cache', 'amt_leak'), 'w') as fh:
        json.dump([{'address': '127.0.0.99'}], fh)
    # a line from the middle of each private key: enough to spot any leak of the key material
    keys = []
    for name in ('mgmt.key', 'ca.key'):
        with open(os.path.join(directory, name)) as fh:
            keys.append(fh.read().splitlines()[5])
    return keys


def _leaks(text, secrets):
    return [s for s in secrets if s in text]


@pytest.mark.parametrize('mode', ['normal', 'check', 'diff'])
def test_no_secret_in_output_results_or_files(mode, tmp_path):
    from tests.simulator.harness import Simulator
    zone = str(tmp_path / 'zone')
    os.makedirs(zone)
    key_lines = _zone(zone)
    with Simulator(devices=2, mode='ccm') as sim:
        state = sim.state(sim.addresses[1])
        secrets = list(SECRETS.values()) + key_lines + [sim.admin_password, state['local_password']]
        ev = dict(SECRETS, zone_dir=zone, local_user=state['local_username'], local_password=state['local_password'])
        inv = inventory_for(sim, sim.addresses)
        run = run_playbook('secrets.yml', inv, ev, check=mode == 'check', diff=mode == 'diff', verbosity=4)
        assert run.results, run.stdout[-2000:]
        statuses = dict(((r['host'], r['task']), r['status']) for r in run.results)
        # failures are part of the test: they must have happened
        assert statuses[('dev0', 'Power with a wrong password')] == 'failed'
        assert statuses[('dev1', 'ACM with a PFX whose root is not trusted (pre-flight failure)')] == 'failed'
        assert statuses[('localhost', 'Setup.bin with a password that breaks the rules')] == 'failed'
        assert statuses[('dev0', 'User with a password that breaks the rules')] == 'failed'
        assert statuses[('dev0', 'Admin password rotation over the network with a wrong current password')] == 'failed'
        assert statuses[('dev1', 'Device TLS certificate signed by the zone CA (dev1 only, it serves a new '
                                 'certificate afterwards)')] == 'ok'
        assert ('localhost', 'Setup.bin') in statuses
        text = run.stdout + run.stderr + json.dumps(run.results)
        assert _leaks(text, secrets) == [], 'secret in output (%s mode)' % mode
        assert 'N3w-Leak!Mebx' not in open(inv).read()
        for root, _dirs, files in os.walk(str(tmp_path)):
            for name in files:
                if name in HOLDERS or name.startswith('setup.bin.') or name.startswith('.'):
                    continue
                with open(os.path.join(root, name), 'rb') as fh:
                    content = fh.read().decode('utf-8', 'replace')
                assert _leaks(content, secrets) == [], os.path.join(root, name)
        if mode != 'check':
            assert os.listdir(os.path.join(zone, 'units')), 'the power schedule role wrote no timers'
            assert os.path.exists(os.path.join(zone, 'setup.bin'))
        log = open(sim.request_log).read()
        assert _leaks(log, SECRETS.values()) == []
