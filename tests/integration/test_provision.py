"""amt_provision against the simulator: CCM, ACM, CCM->ACM, rotation, unprovision, pre-flight failures."""
import datetime
import hashlib
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from tests.integration.runner import inventory_for, run_playbook

NEW = 'N3w-Admin!pw'
SETUP_OID = x509.ObjectIdentifier('2.16.840.1.113741.1.2.3')
CONSOLE_OID = x509.ObjectIdentifier('2.16.840.1.113741.1.2.1')


def make_chain(directory, domain='prov.corp.example.com', eku=(SETUP_OID,), name='ok'):
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Zone CA %s' % name)])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=365))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH] + list(eku)), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path = os.path.join(directory, '%s-chain.pem' % name)
    key_path = os.path.join(directory, '%s-key.pem' % name)
    with open(cert_path, 'wb') as fh:
        fh.write(leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    with open(key_path, 'wb') as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    root_sha256 = hashlib.sha256(ca.public_bytes(serialization.Encoding.DER)).hexdigest()
    return cert_path, key_path, root_sha256


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator
    with Simulator(devices=5, mode='pre') as sim:
        yield sim


def prov(sim, addr, check=False, diff=False, **extra):
    state = sim.state(addr)
    ev = {'prov_local_user': state['local_username'], 'prov_local_password': state['local_password']}
    ev.update(extra)
    run = run_playbook('provision.yml', inventory_for(sim, [addr]), ev, check=check, diff=diff)
    entry = run.task('Provision', 'dev0')
    assert 'prov_local_password' not in run.stdout or state['local_password'] not in run.stdout
    return dict(entry['result'], _status=entry['status'])


def test_ccm_from_pre_then_unchanged_then_rotate_then_unprovision(fleet):
    addr = fleet.addresses[0]
    r = prov(fleet, addr, check=True, prov_password=NEW)
    assert r['changed'] and fleet.state(addr)['provisioning_state'] == 0
    r = prov(fleet, addr, diff=True, prov_password=NEW)
    assert r['_status'] == 'ok', r
    assert r['changed'] and r['after'] == {'provisioning_state': 'post', 'control_mode': 'ccm'}
    s = fleet.state(addr)
    assert (s['provisioning_state'], s['provisioning_mode'], s['control_mode']) == (2, 4, 1)
    assert WsmanClient(addr, ca_path=fleet.ca_path, password=NEW, timeout=5).get('AMT_GeneralSettings')
    assert prov(fleet, addr, prov_password=NEW)['changed'] is False
    rotated = 'R0tated#pw'
    r = prov(fleet, addr, prov_password=rotated, prov_current=NEW, prov_remote=True)
    assert r['changed'] and r['actions'] == ['rotate admin password']
    assert WsmanClient(addr, ca_path=fleet.ca_path, password=rotated, timeout=5).get('AMT_GeneralSettings')
    r = prov(fleet, addr, prov_state='absent', prov_password=rotated, prov_remote=True)
    assert r['changed'] and 'unprovision_seconds' in r
    assert fleet.state(addr)['provisioning_state'] == 0
    r = prov(fleet, addr, prov_state='absent', prov_password=rotated, prov_remote=True)
    assert r['changed'] is False


def test_setup_refused_on_network_interface(fleet):
    addr = fleet.addresses[1]
    client = WsmanClient(addr, use_tls=False, password=fleet.admin_password, timeout=5)
    out = client.invoke('IPS_HostBasedSetupService', 'Setup', [('NetAdminPassEncryptionType', 2),
                                                               ('NetworkAdminPassword', '0' * 32)], check_return=False)
    assert out['ReturnValue'] == 2 and fleet.state(addr)['provisioning_state'] == 0


@pytest.mark.parametrize('password,fragment', [('short1!A', None), ('alllower1!', 'upper-case'), ('NoDigits!!', 'digit'),
                                               ('Has:Colon1', "':'"), ('NoSpecial12A', 'special')])
def test_password_rules_checked_before_contact(fleet, password, fragment):
    if fragment is None:
        return
    addr = fleet.addresses[1]
    fleet.clear_log()
    r = prov(fleet, addr, prov_password=password)
    assert r['_status'] == 'failed' and fragment in r['msg'] and password not in r['msg']
    assert fleet.log_entries() == []


def test_network_mode_table(fleet):
    addr = fleet.addresses[1]
    fleet.patch(addr, network={'dhcp_enabled': False})
    r = prov(fleet, addr, prov_password=NEW, prov_host_dhcp=True)
    assert r['_status'] == 'failed' and 'host DHCP + AMT static' in r['msg'] and 'not supported' in r['msg']
    r = prov(fleet, addr, prov_password=NEW, prov_host_dhcp=True, prov_fix_network=True)
    assert r['changed'] and fleet.state(addr)['network']['dhcp_enabled'] is True
    assert fleet.state(addr)['control_mode'] == 1


def test_acm_from_pre_with_real_chain(fleet, tmp_path):
    addr = fleet.addresses[2]
    cert, key, root = make_chain(str(tmp_path), domain='prov.' + fleet.state(addr)['pki_dns_suffix'])
    hashes_ = fleet.state(addr)['hashes'] + [{'name': 'Zone CA', 'algorithm': 2, 'hash': root, 'enabled': True,
                                              'default': False, 'id': 'Intel(r) AMT Certificate Hash: 99'}]
    fleet.patch(addr, hashes=hashes_)
    r = prov(fleet, addr, prov_mode='acm', prov_password=NEW, prov_cert=cert, prov_key=key)
    assert r['_status'] == 'ok', r.get('msg')
    s = fleet.state(addr)
    assert (s['provisioning_mode'], s['control_mode']) == (1, 2)
    assert prov(fleet, addr, prov_mode='enterprise', prov_password=NEW, prov_cert=cert, prov_key=key)['changed'] is False


def test_ccm_to_acm_upgrade(fleet, tmp_path):
    addr = fleet.addresses[3]
    assert prov(fleet, addr, prov_password=NEW)['changed']
    cert, key, root = make_chain(str(tmp_path), domain='amt.' + fleet.state(addr)['pki_dns_suffix'])
    fleet.patch(addr, hashes=fleet.state(addr)['hashes'] + [{'name': 'Zone', 'algorithm': 2, 'hash': root,
                                                             'enabled': True, 'default': False, 'id': 'x'}])
    r = prov(fleet, addr, prov_mode='acm', prov_password=NEW, prov_cert=cert, prov_key=key)
    assert r['_status'] == 'ok', r.get('msg')
    assert r['actions'] == ['upgrade CCM to ACM'] and fleet.state(addr)['control_mode'] == 2


def test_acm_preflight_reports_every_failure(fleet, tmp_path):
    addr = fleet.addresses[4]
    cert, key, _root = make_chain(str(tmp_path), domain='wrong.example.org', eku=(CONSOLE_OID,), name='bad')
    fleet.clear_log()
    r = prov(fleet, addr, prov_mode='acm', prov_password=NEW, prov_cert=cert, prov_key=key)
    assert r['_status'] == 'failed'
    text = ' '.join(r['preflight'])
    assert 'Remote Console' in text and 'not an enabled trusted hash' in text and 'DNS suffix' in text
    assert not any((e['action'] or '').endswith(('AddNextCertInChain', 'AdminSetup')) for e in fleet.log_entries())
    assert fleet.state(addr)['provisioning_state'] == 0


def test_simulator_rejects_bad_signature_and_unknown_root(fleet, tmp_path):
    """The firmware-side checks, driven directly: a tampered signature and an untrusted root are refused."""
    from ansible_collections.oob.amt.plugins.module_utils.amt import provisioning as ap
    addr = fleet.addresses[4]
    state = fleet.state(addr)
    cert, key, root = make_chain(str(tmp_path), domain='x.' + state['pki_dns_suffix'], name='sig')
    chain, private = ap.load_chain(cert, key)
    local = WsmanClient(addr, port=16990, use_tls=False, username=state['local_username'],
                        password=state['local_password'], timeout=5)
    nonce = local.get('IPS_HostBasedSetupService')['ConfigurationNonce']
    mc, sig = ap.send_chain_and_sign(local, chain, private, nonce)
    out = local.invoke('IPS_HostBasedSetupService', 'AdminSetup', [
        ('NetAdminPassEncryptionType', 2), ('NetworkAdminPassword', '0' * 32), ('McNonce', mc), ('SigningAlgorithm', 2),
        ('DigitalSignature', sig)], check_return=False)
    assert out['ReturnValue'] == 5                                   # root not trusted
    fleet.patch(addr, hashes=state['hashes'] + [{'name': 'z', 'algorithm': 2, 'hash': root, 'enabled': True,
                                                 'default': False, 'id': 'y'}])
    nonce2 = local.get('IPS_HostBasedSetupService')['ConfigurationNonce']
    assert nonce2 != nonce                                           # fresh nonce after each attempt
    mc, sig = ap.send_chain_and_sign(local, chain, private, nonce2)
    bad = sig[:-4] + ('AAAA' if not sig.endswith('AAAA') else 'BBBB')
    out = local.invoke('IPS_HostBasedSetupService', 'AdminSetup', [
        ('NetAdminPassEncryptionType', 2), ('NetworkAdminPassword', '0' * 32), ('McNonce', mc), ('SigningAlgorithm', 2),
        ('DigitalSignature', bad)], check_return=False)
    assert out['ReturnValue'] == 5 and fleet.state(addr)['provisioning_state'] == 0


def test_smb_and_enterprise_roles(tmp_path):
    """The roles end to end on a fresh pre-provisioned pair: CCM with registration, ACM with a real chain."""
    import yaml
    from tests.integration.runner import REPO
    from tests.simulator.harness import Simulator
    with Simulator(devices=2, mode='pre') as sim:
        smb, ent = sim.addresses
        s0, s1 = sim.state(smb), sim.state(ent)
        cert, key, root = make_chain(str(tmp_path), domain='prov.' + s1['pki_dns_suffix'])
        sim.patch(ent, hashes=s1['hashes'] + [{'name': 'Zone', 'algorithm': 2, 'hash': root, 'enabled': True,
                                               'default': False, 'id': 'z'}])
        reg = tmp_path / 'host_vars'
        reg.mkdir()
        common = {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}',
                  'amt_ca_path': sim.ca_path}
        inv = {'all': {'vars': common, 'children': {'amt_hosts': {'hosts': {
            'pc-smb': {'amt_host': smb, 'smb_mode_lms_host': smb, 'smb_mode_lms_port': 16990,
                       'smb_mode_local_username': s0['local_username'], 'smb_mode_local_password': s0['local_password'],
                       'smb_mode_host_vars_dir': str(reg), 'smb_mode_admin_password': NEW},
            'pc-ent': {'amt_host': ent, 'enterprise_mode_lms_host': ent, 'enterprise_mode_lms_port': 16990,
                       'enterprise_mode_local_username': s1['local_username'],
                       'enterprise_mode_local_password': s1['local_password'], 'enterprise_mode_cert': cert,
                       'enterprise_mode_key': key, 'enterprise_mode_admin_password': NEW}}}}}}
        path = tmp_path / 'hosts.yml'
        path.write_text(yaml.safe_dump(inv))
        ev = {'provision_become': False}
        run = run_playbook(os.path.join(REPO, 'playbooks', 'provision_smb.yml'), str(path), ev, limit='pc-smb')
        assert run.rc == 0, run.stdout[-3000:]
        run = run_playbook(os.path.join(REPO, 'playbooks', 'provision_enterprise.yml'), str(path), ev, limit='pc-ent')
        assert run.rc == 0, run.stdout[-3000:]
        assert sim.state(smb)['control_mode'] == 1 and sim.state(ent)['control_mode'] == 2
        assert yaml.safe_load((reg / 'pc-smb.yml').read_text())['amt_host'] == smb
        again = run_playbook(os.path.join(REPO, 'playbooks', 'provision_smb.yml'), str(path), ev, limit='pc-smb')
        assert not [r for r in again.results if r['result'].get('changed')]
        assert NEW not in again.stdout and NEW not in run.stdout


def test_forget_on_failure_drops_the_device_from_the_discovery_cache(tmp_path):
    """The console's "delete the device if unprovisioning fails": the discovery cache loses that device only."""
    import json
    from tests.simulator.harness import Simulator
    with Simulator(devices=1, mode='ccm') as sim:
        addr = sim.addresses[0]
        cache = tmp_path / 'cache'
        cache.mkdir()
        (cache / 'amt_site_a').write_text(json.dumps([{'address': addr, 'amt_version': '16.1'},
                                                      {'address': '10.9.9.9', 'amt_version': '12.0'}]))
        (cache / 'unrelated').write_text('{"not": "a device list"}')
        book = tmp_path / 'forget.yml'
        book.write_text(
            '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Unprovision\n      oob.amt.amt_provision:\n'
            '        host: "{{ amt_host }}"\n        ca_path: "{{ amt_ca_path }}"\n        admin_password: Wr0ng-Pass!x\n'
            '        state: absent\n        forget_on_failure: true\n        inventory_cache: %s\n' % cache)
        run = run_playbook(str(book), inventory_for(sim, [addr]))
        entry = run.task('Unprovision', 'dev0')
        assert entry['status'] == 'failed' and addr in entry['result']['msg']
        assert entry['result']['forgotten_in'] == [str(cache / 'amt_site_a')]
        assert json.loads((cache / 'amt_site_a').read_text()) == [{'address': '10.9.9.9', 'amt_version': '12.0'}]
        assert json.loads((cache / 'unrelated').read_text()) == {'not': 'a device list'}
        assert sim.state(addr)['provisioning_state'] == 2


def test_unprovision_converges_when_the_device_no_longer_knows_the_password(fleet):
    # issue 13: a device already back in pre-provisioning does not know the admin password any more; state=absent
    # reads the state it announces without an account (presence pong, UDP 623) first and reports it unchanged
    addr = fleet.addresses[4]
    fleet.patch(addr, provisioning_state=0, admin_password='Forg0tten#pw')
    r = prov(fleet, addr, prov_state='absent', prov_password='Wr0ng#Passw0rd', prov_remote=True, diff=True)
    assert r['_status'] == 'ok', r
    assert r['changed'] is False and r['after'] == {'provisioning_state': 'pre'}
    assert r['state_source'] == 'unauthenticated'
    # a provisioned device whose ping is off and whose password is wrong: the failure says both
    fleet.patch(addr, provisioning_state=2, rmcp_ping=False)
    r = prov(fleet, addr, prov_state='absent', prov_password='Wr0ng#Passw0rd', prov_remote=True)
    assert r['_status'] == 'failed' and 'admin password is refused' in r['msg'] and 'no answer' in r['msg'], r
    assert fleet.state(addr)['provisioning_state'] == 2
