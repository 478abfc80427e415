"""Issue 15: the enterprise_mode role (playbooks/provision_enterprise.yml, what docs/provisioning.md tells users to
run) with the zone root trusted on the host-local interface (enterprise_mode_trust_root: local), on the hosts where
plain HTTP to LMS does not work:

(a) a CSME 19 device that enforces TLS on local ports: the hash goes in over TLS to the local TLS port; Admin Control
    Mode then comes by Secure Host-Based Configuration (MEI StartConfigurationHBased, mutual TLS, CommitChanges),
    because CSME 19 removed AdminSetup (the simulator refuses AdminSetup there, so the old flow cannot pass);
(b) a host without LMS: the hash and the activation both go over APF channels through the MEI stand-in, to ACM,
    and a re-run changes nothing (the hash step then reads with the admin account).

For each, the old hash step (plain HTTP to the LMS port with the local account) is shown to fail first.
"""
import os

import pytest
import yaml

from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanConnectionError, WsmanFault
from ansible_collections.oob.amt.plugins.module_utils.zone_ca import run_mgmtcert
from tests.integration.runner import REPO, inventory_for, run_playbook

NEW = 'N3w-Admin!pw'
CSME19 = '19.0.5.1234'
BOOK = os.path.join(REPO, 'playbooks', 'provision_enterprise.yml')
HASH_TASK = 'oob.amt.enterprise_mode : Trust the zone root on the host-local interface'
ACTIVATE_TASK = "oob.amt.enterprise_mode : Activate Admin Control Mode on the host's local interface"


def make_zone(directory, common_name):
    params = dict(state='present', ca='internal', path=directory, common_name=common_name, dns_names=[],
                  country=None, state_or_province=None, locality=None, organization='Issue 15',
                  organizational_unit=[], is_ca=False, key_type='rsa', key_size=2048, valid_days=300,
                  ca_common_name='Issue 15 Zone CA', ca_key_size=2048, ca_valid_days=3650, renew_before_days=1,
                  force=False, force_ca=False, seed_compatibility=False, certificate=None, ca_chain=None,
                  remove_ca=False)
    return run_mgmtcert(params)


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator, pick_first_address
    first = pick_first_address()
    base = first.rsplit('.', 1)[0]
    addr = ['%s.%d' % (base, i) for i in range(1, 4)]
    spec = {'devices': {
        # TLS enforced on local ports. Both take custom hashes over WS-Man: many 16+ parts take them by USB only
        # (test_certificates covers that refusal), and nobody has reported what CSME 19 parts do.
        addr[0]: {'amt_version': CSME19, 'hash_create_allowed': True},
        # no LMS (16.1)
        addr[1]: {'lms': False, 'hash_create_allowed': True},
        addr[2]: {'amt_version': CSME19},          # CCM Setup + CommitChanges
    }}
    with Simulator(devices=3, mode='pre', first_address=first, fleet_spec=spec, extra_args=['--mei']) as sim:
        assert sim.addresses == addr
        yield sim


def old_hash_step(sim, addr):
    """What the role's hash step did before: plain HTTP to the LMS port with the local system account."""
    state = sim.state(addr)
    client = WsmanClient(addr, port=16990, use_tls=False, username=state['local_username'],
                         password=state['local_password'], timeout=5, retries=0)
    return client.enumerate('AMT_ProvisioningCertificateHash')


def inventory(tmp_path, sim, addr, zone):
    state = sim.state(addr)
    host = {'amt_host': addr, 'enterprise_mode_lms_host': addr, 'enterprise_mode_lms_port': 16990,
            'enterprise_mode_lms_tls_port': 16991, 'enterprise_mode_mei_device': sim.mei_path(addr),
            'enterprise_mode_zone_dir': zone, 'enterprise_mode_common_name': 'prov.' + state['pki_dns_suffix'],
            'enterprise_mode_admin_password': NEW, 'enterprise_mode_trust_root': 'local'}
    inv = {'all': {'vars': {'ansible_connection': 'local', 'amt_ca_path': sim.ca_path,
                            'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
                   'children': {'amt_hosts': {'hosts': {'pc': host}}}}}
    path = tmp_path / 'hosts.yml'
    path.write_text(yaml.safe_dump(inv))
    return str(path)


def zone_hash(zone):
    from ansible_collections.oob.amt.plugins.module_utils.formats.certs import certificate_hashes, load_certificates
    with open(os.path.join(zone, 'ca.crt'), 'rb') as fh:
        return certificate_hashes(load_certificates(fh.read())[0])['sha256']['hex']


def test_csme19_root_over_local_tls_then_acm_by_secure_host_based_configuration(fleet, tmp_path):
    addr = fleet.addresses[0]
    with pytest.raises(WsmanConnectionError):
        old_hash_step(fleet, addr)                                     # CSME 19 refuses non-TLS locally
    state = fleet.state(addr)
    # the firmware itself refuses AdminSetup on CSME 19: the old activation path would not work either
    client = WsmanClient(addr, port=16991, use_tls=True, validate_certs=False, username=state['local_username'],
                         password=state['local_password'], timeout=10, retries=0)
    with pytest.raises(WsmanFault) as fault:
        client.invoke('IPS_HostBasedSetupService', 'AdminSetup', [('NetAdminPassEncryptionType', 2)])
    assert 'ActionNotSupported' in '%s %s' % (fault.value.subcode, fault.value.reason)
    zone = str(tmp_path / 'zone')
    make_zone(zone, 'prov.' + fleet.state(addr)['pki_dns_suffix'])
    inv = inventory(tmp_path, fleet, addr, zone)
    run = run_playbook(BOOK, inv, {'provision_become': False})
    assert run.rc == 0, run.stdout[-3000:]
    hashed = run.task(HASH_TASK, 'pc')
    assert hashed['status'] == 'ok', hashed['result'].get('msg')
    assert hashed['result']['changed']
    access = hashed['result']['local_access']
    assert access['tls'] is True and access['path'] == 'lms' and access['tls_enforced_local'] is True
    assert len(access['certificate_sha256']) == 64
    state = fleet.state(addr)
    assert zone_hash(zone) in [h['hash'] for h in state['hashes'] if not h['default'] and h['enabled']]
    activated = run.task(ACTIVATE_TASK, 'pc')['result']
    assert activated['changed'] and activated['actions'] == ['activate ACM (Secure Host-Based Configuration)']
    assert activated['local_access']['tls'] is True
    assert (state['provisioning_state'], state['control_mode']) == (2, 2)
    assert state['mei_log'] == ['StartConfigurationHBased']            # no StopConfiguration: nothing failed
    again = run_playbook(BOOK, inv, {'provision_become': False})
    assert again.rc == 0, again.stdout[-3000:]
    assert [r['task'] for r in again.results if r['result'].get('changed')] == []
    assert state['local_password'] not in run.stdout + again.stdout and NEW not in run.stdout + again.stdout


def test_no_lms_root_and_acm_over_apf(fleet, tmp_path):
    addr = fleet.addresses[1]
    with pytest.raises(WsmanConnectionError) as err:
        old_hash_step(fleet, addr)                                     # nothing listens on the LMS port
    assert err.value.details.get('refused')
    zone = str(tmp_path / 'zone')
    make_zone(zone, 'prov.' + fleet.state(addr)['pki_dns_suffix'])
    inv = inventory(tmp_path, fleet, addr, zone)
    run = run_playbook(BOOK, inv, {'provision_become': False})
    assert run.rc == 0, run.stdout[-3000:]
    hashed = run.task(HASH_TASK, 'pc')['result']
    assert hashed['changed'] and hashed['local_access']['path'] == 'mei' and hashed['local_access']['tls'] is False
    activated = run.task(ACTIVATE_TASK, 'pc')['result']
    assert activated['changed'] and activated['local_access']['path'] == 'mei'
    state = fleet.state(addr)
    assert (state['provisioning_state'], state['control_mode']) == (2, 2)
    assert zone_hash(zone) in [h['hash'] for h in state['hashes'] if not h['default']]
    again = run_playbook(BOOK, inv, {'provision_become': False})
    assert again.rc == 0, again.stdout[-3000:]
    assert [r['task'] for r in again.results if r['result'].get('changed')] == []
    assert again.task(HASH_TASK, 'pc')['result']['local_access']['path'] == 'mei'
    assert state['local_password'] not in run.stdout + again.stdout and NEW not in run.stdout + again.stdout


def test_csme19_ccm_setup_is_committed_and_an_interrupted_one_finished(fleet):
    """AMT 19 leaves a device "in provisioning" after Setup until CommitChanges as admin (rpc-go #845): Setup alone
    (what amt_provision sent before) does not activate; amt_provision finishes an interrupted one."""
    from ansible_collections.oob.amt.plugins.module_utils.amt.password import admin_password_hash
    addr = fleet.addresses[2]
    state = fleet.state(addr)
    assert state['provisioning_state'] == 0
    local = WsmanClient(addr, port=16991, use_tls=True, validate_certs=False, username=state['local_username'],
                        password=state['local_password'], timeout=10, retries=0)
    local.invoke('IPS_HostBasedSetupService', 'Setup', [('NetAdminPassEncryptionType', 2),
                                                        ('NetworkAdminPassword',
                                                         admin_password_hash(state['realm'], NEW))])
    assert fleet.state(addr)['provisioning_state'] == 1                  # Setup alone: still in provisioning
    run = run_playbook('provision_local.yml', inventory_for(fleet, [addr]),
                       {'prov_password': NEW, 'prov_mei_device': fleet.mei_path(addr)})
    r = run.task('Provision', 'dev0')
    assert r['status'] == 'ok', r['result'].get('msg')
    assert r['result']['changed'] and r['result']['actions'] == ['commit the activation (CommitChanges)']
    assert r['result']['after'] == {'provisioning_state': 'post', 'control_mode': 'ccm'}
    assert (fleet.state(addr)['provisioning_state'], fleet.state(addr)['control_mode']) == (2, 1)
    again = run_playbook('provision_local.yml', inventory_for(fleet, [addr]),
                         {'prov_password': NEW, 'prov_mei_device': fleet.mei_path(addr)})
    assert again.task('Provision', 'dev0')['result']['changed'] is False
