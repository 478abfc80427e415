"""Issue 15: Admin Control Mode on CSME 19, where the firmware enforces TLS on local ports and AdminSetup is gone:
amt_provision mode=acm takes Secure Host-Based Configuration as rpc-go does (internal/commands/activate/local.go):
MEI StartConfigurationHBased with the leaf hash, mutual TLS to the local TLS port with the provisioning certificate,
SetAdminAclEntryEx, CommitChanges; StopConfiguration over MEI when anything after the start fails.

The simulator's MEI stand-in answers the AMTHI commands and its local TLS listener asks for and judges the client
certificate (tests/simulator/mei_standin.py hbc_client_ok, tests/simulator/client_cert.py).
"""
import os

import pytest

from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanFault
from tests.integration.runner import inventory_for, run_playbook
from tests.integration.test_enterprise_local import make_zone, zone_hash

NEW = 'N3w-Admin!pw'
CSME19 = '19.0.5.1234'
BOOK = os.path.join(os.path.dirname(__file__), 'playbooks', 'provision_local_acm.yml')


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator, pick_first_address
    first = pick_first_address()
    base = first.rsplit('.', 1)[0]
    addr = ['%s.%d' % (base, i) for i in range(1, 5)]
    spec = {'devices': {
        addr[0]: {'amt_version': CSME19},                   # TLS enforced on local ports, LMS listening
        addr[1]: {'amt_version': CSME19, 'lms': False},     # no LMS: mutual TLS inside an APF channel over MEI
        addr[2]: {'amt_version': CSME19},                   # the failures
        addr[3]: {'amt_version': CSME19, 'mebx_password_required': True},     # CommitChanges answers 2057 first
    }}
    with Simulator(devices=4, mode='pre', first_address=first, fleet_spec=spec, extra_args=['--mei']) as sim:
        assert sim.addresses == addr
        yield sim


def trust(sim, addr, zone):
    """The zone root as an enabled trusted hash (what amt_hash or a USB setup.bin does; test_enterprise_local covers
    that step on CSME 19)."""
    hashes = list(sim.state(addr)['hashes'])
    hashes.append({'name': 'Zone CA', 'algorithm': 2, 'hash': zone_hash(zone), 'enabled': True, 'default': False,
                   'id': 'Intel(r) AMT Certificate Hash: %d' % len(hashes)})
    sim.patch(addr, hashes=hashes)


def activate(sim, addr, zone, **extra):
    ev = {'prov_password': NEW, 'prov_mei_device': sim.mei_path(addr),
          'prov_cert': os.path.join(zone, 'mgmt-chain.pem'), 'prov_key': os.path.join(zone, 'mgmt.key')}
    ev.update(extra)
    run = run_playbook(BOOK, inventory_for(sim, [addr]), ev)
    entry = run.task('Provision ACM', 'dev0')
    state = sim.state(addr)
    assert state['local_password'] not in run.stdout and NEW not in run.stdout
    return dict(entry['result'], _status=entry['status'])


def zone_for(tmp_path, sim, addr, suffix=None):
    zone = str(tmp_path / 'zone')
    make_zone(zone, 'prov.' + (suffix or sim.state(addr)['pki_dns_suffix']))
    return zone


@pytest.mark.parametrize('index,path', [(0, 'lms'), (1, 'mei')])
def test_csme19_acm_by_secure_host_based_configuration(fleet, tmp_path, index, path):
    addr = fleet.addresses[index]
    state = fleet.state(addr)
    if path == 'lms':
        # the old flow does not work there: the firmware answers AdminSetup with a fault
        local = WsmanClient(addr, port=16991, use_tls=True, validate_certs=False, username=state['local_username'],
                            password=state['local_password'], timeout=10, retries=0)
        with pytest.raises(WsmanFault):
            local.invoke('IPS_HostBasedSetupService', 'AdminSetup', [('NetAdminPassEncryptionType', 2)])
    zone = zone_for(tmp_path, fleet, addr)
    trust(fleet, addr, zone)
    r = activate(fleet, addr, zone)
    assert r['_status'] == 'ok', r.get('msg')
    assert r['changed'] and r['actions'] == ['activate ACM (Secure Host-Based Configuration)']
    assert r['after'] == {'provisioning_state': 'post', 'control_mode': 'acm'}
    assert r['local_access']['tls'] is True and r['local_access']['path'] == path
    state = fleet.state(addr)
    assert (state['provisioning_state'], state['provisioning_mode'], state['control_mode']) == (2, 1, 2)
    assert state['mei_log'] == ['StartConfigurationHBased'] and not state.get('hbc')
    # the new admin password works on the network
    admin = WsmanClient(addr, use_tls=True, ca_path=fleet.ca_path, password=NEW, timeout=10)
    assert admin.get('AMT_GeneralSettings')['DigestRealm'] == state['realm']
    again = activate(fleet, addr, zone)
    assert again['_status'] == 'ok', again.get('msg')
    assert again['changed'] is False and again['actions'] == []
    assert fleet.state(addr)['mei_log'] == ['StartConfigurationHBased']


def test_untrusted_root_refused_before_anything_starts(fleet, tmp_path):
    addr = fleet.addresses[2]
    zone = zone_for(tmp_path, fleet, addr)           # its root hash is not on the device
    r = activate(fleet, addr, zone)
    assert r['_status'] == 'failed'
    assert 'root CA hash' in r['msg'] and 'not an enabled trusted hash' in r['msg'], r['msg']
    state = fleet.state(addr)
    assert (state['provisioning_state'], state['control_mode']) == (0, 0)
    assert not state.get('mei_log') and not state.get('hbc')                 # nothing started over MEI


def test_certificate_refused_by_the_firmware_stops_the_configuration(fleet, tmp_path):
    """A certificate our pre-flight passes (dns_suffix given wrongly) but the firmware refuses on the mutual-TLS
    connection (its PKI DNS suffix differs): StopConfiguration goes out over MEI, the device stays pre-provisioned,
    and the message says where it failed."""
    addr = fleet.addresses[2]
    zone = zone_for(tmp_path, fleet, addr, suffix='elsewhere.example')
    trust(fleet, addr, zone)
    r = activate(fleet, addr, zone, prov_dns_suffix='elsewhere.example')
    assert r['_status'] == 'failed'
    msg = r['msg']
    assert 'Secure Host-Based Configuration' in msg and 'mutual TLS' in msg and 'StopConfiguration' in msg, msg
    assert 'back in pre-provisioning' in msg, msg
    state = fleet.state(addr)
    assert state['mei_log'] == ['StartConfigurationHBased', 'StopConfiguration']
    assert state['hbc_refused'] == 'certificate domain does not match the PKI DNS suffix'
    assert (state['provisioning_state'], state['control_mode']) == (0, 0) and not state.get('hbc')
    # and the device takes the right certificate afterwards
    good = str(tmp_path / 'good')
    make_zone(good, 'prov.' + state['pki_dns_suffix'])
    trust(fleet, addr, good)
    r = activate(fleet, addr, good)
    assert r['_status'] == 'ok', r.get('msg')
    assert (fleet.state(addr)['provisioning_state'], fleet.state(addr)['control_mode']) == (2, 2)


def test_mebx_password_asked_for_by_the_firmware(fleet, tmp_path):
    """CommitChanges answers 2057 (PT_STATUS_DATA_MISSING) until a MEBx password is set: SetMEBxPassword with the
    admin password, then CommitChanges again (rpc-go setupMEBxAndCommit), shown as an action and a warning."""
    addr = fleet.addresses[3]
    zone = zone_for(tmp_path, fleet, addr)
    trust(fleet, addr, zone)
    r = activate(fleet, addr, zone)
    assert r['_status'] == 'ok', r.get('msg')
    assert r['actions'] == ['activate ACM (Secure Host-Based Configuration)',
                            'set the MEBx password to the admin password (SetMEBxPassword; the firmware asked: 2057)']
    assert any('MEBx' in w for w in r.get('warnings') or [])
    state = fleet.state(addr)
    assert (state['provisioning_state'], state['control_mode']) == (2, 2) and state['mebx_password'] == NEW
    assert state['mei_log'] == ['StartConfigurationHBased']
