"""amt_mgmtcert, amt_hash, amt_usb_setupbin(_info) and playbooks/enterprise_prepare.yml end to end: twice (the
second run changes nothing), in check mode, against the simulator's trusted hash table, and on to ACM."""
import hashlib
import json
import os
import stat

import pytest

from ansible_collections.oob.amt.plugins.module_utils.formats.setupbin import decode_file
from tests.integration.runner import REPO, inventory_for, run_playbook

MEBX = 'Mebx-N3w!pw'


def _local_inventory(tmp_path):
    path = tmp_path / 'local.yml'
    path.write_text('all:\n  hosts:\n    localhost:\n      ansible_connection: local\n'
                    '      ansible_python_interpreter: "{{ ansible_playbook_python }}"\n')
    return str(path)


def test_enterprise_prepare_twice_and_check_mode(tmp_path):
    zone = str(tmp_path / 'zone')
    playbook = os.path.join(REPO, 'playbooks', 'enterprise_prepare.yml')
    ev = {'prepare_dir': zone, 'prepare_mebx_password': MEBX, 'prepare_common_name': 'prov.corp.example.com'}
    inv = _local_inventory(tmp_path)
    check = run_playbook(playbook, inv, ev, check=True, diff=True)
    assert check.rc == 0, check.stdout[-3000:]
    assert check.task('Zone CA and management certificate (zman icmc)', 'localhost')['result']['changed']
    assert not os.path.exists(zone)
    first = run_playbook(playbook, inv, ev)
    assert first.rc == 0, first.stdout[-3000:]
    root = first.task('Root CA hash (zman irch)', 'localhost')['result']['root_hash']
    assert len(root['sha256']['mebx'].split('-')) == 16 and root['sha1']['colon'].count(':') == 19
    assert root['md5']['display_only'] is True
    setupbin = first.task('USB provisioning file for the devices (USBFile -create)', 'localhost')['result']
    with open(setupbin['path'], 'rb') as fh:
        info = decode_file(fh.read())
    entries = dict(((m, v), value) for m, v, value in info['records'][0]['entries'])
    assert entries[(2, 3)] == b'corp.example.com' and entries[(2, 4)] == b'prov.corp.example.com'
    assert entries[(2, 8)][1:33].hex() == root['sha256']['hex'] and entries[(2, 5)] == b'\x01'
    assert stat.S_IMODE(os.stat(setupbin['path']).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(zone, 'mgmt.key')).st_mode) == 0o600
    second = run_playbook(playbook, inv, ev)
    assert second.rc == 0 and not [r['task'] for r in second.results if r['result'].get('changed')]
    for run in (check, first, second):
        assert MEBX not in run.stdout + run.stderr
        assert MEBX not in json.dumps(run.results)


def test_modules_twice_check_mode_and_refusals(tmp_path):
    zone = str(tmp_path / 'z')
    inv = _local_inventory(tmp_path)
    ev = {'zone_dir': zone, 'sb_password': MEBX}
    check = run_playbook('files.yml', inv, ev, check=True)
    assert check.task('Management certificate', 'localhost')['result']['changed']
    assert not os.path.exists(zone)
    first = run_playbook('files.yml', inv, ev, diff=True)
    assert first.rc == 0, first.stdout[-3000:]
    assert first.task('Setup.bin', 'localhost')['result']['changed']
    assert os.path.getsize(os.path.join(zone, 'usb.img')) > 16 * 1024 * 1024
    report = first.task('Setup.bin info', 'localhost')['result']
    assert report['version'] == '4' and report['records'][0]['settings']['new_password'] == {'length': len(MEBX)}
    second = run_playbook('files.yml', inv, ev)
    assert not [r['task'] for r in second.results if r['result'].get('changed')]
    # different content: refused without force, replaced with force (and a backup)
    other = run_playbook('files.yml', inv, dict(ev, sb_password='Other-P4ss!'))
    result = other.task('Setup.bin', 'localhost')
    assert result['status'] == 'failed' and 'force: true' in result['result']['msg']
    forced = run_playbook('files.yml', inv, dict(ev, sb_password='Other-P4ss!', sb_force=True))
    assert forced.task('Setup.bin', 'localhost')['result']['backup_file']
    # bad input: named option, nothing written
    before = sorted(os.listdir(zone))
    bad = run_playbook('files.yml', inv, dict(ev, mgmt_country='Germany', sb_password='weak', sb_force=True))
    assert 'option country' in bad.task('Management certificate', 'localhost')['result']['msg']
    msg = bad.task('Setup.bin', 'localhost')['result']['msg']
    assert 'password rules' in msg and 'weak' not in msg
    assert sorted(os.listdir(zone)) == before
    for run in (check, first, second, other, forced, bad):
        assert MEBX not in run.stdout + run.stderr and 'Other-P4ss!' not in run.stdout + run.stderr


@pytest.fixture(scope='module')
def ccm_fleet():
    from tests.simulator.harness import Simulator
    with Simulator(devices=2, mode='ccm') as sim:
        yield sim


def _hash(sim, addr, check=False, diff=False, **ev):
    run = run_playbook('hash_device.yml', inventory_for(sim, [addr]), ev, check=check, diff=diff)
    entry = run.task('Hash', 'dev0')
    return dict(entry['result'], _status=entry['status'])


def test_device_hash_table_converges(ccm_fleet, tmp_path):
    zone = str(tmp_path / 'zone')
    inv = _local_inventory(tmp_path)
    assert run_playbook('files.yml', inv, {'zone_dir': zone}).rc == 0
    addr = ccm_fleet.addresses[0]
    ccm_fleet.patch(addr, hash_create_allowed=True)
    ca = os.path.join(zone, 'ca.crt')
    listing = _hash(ccm_fleet, addr)
    assert listing['_status'] == 'ok' and listing['hashes'] and all(h['default'] for h in listing['hashes'])
    check = _hash(ccm_fleet, addr, check=True, hash_certificate=ca, hash_state='present')
    assert check['changed'] and len(ccm_fleet.state(addr)['hashes']) == len(listing['hashes'])
    added = _hash(ccm_fleet, addr, diff=True, hash_certificate=ca, hash_state='present')
    assert added['changed'] and added['diff']['after']['name'] == 'Example Corp AMT Zone CA'
    assert added['exchanges'] == 3           # challenge, Enumerate, Create: the table after is not read again
    assert added['hashes'][-1]['instance_id'] and added['hashes'][-1]['hash'] == added['hash']['hash']
    stored = [h for h in ccm_fleet.state(addr)['hashes'] if not h['default']]
    assert [h['hash'] for h in stored] == [added['root_hash']['sha256']['hex']]
    unchanged = _hash(ccm_fleet, addr, hash_certificate=ca, hash_state='present')
    assert not unchanged['changed'] and unchanged['exchanges'] == 2
    assert _hash(ccm_fleet, addr, hash_certificate=ca, hash_state='disabled')['changed']
    assert not [h for h in ccm_fleet.state(addr)['hashes'] if not h['default']][0]['enabled']
    assert _hash(ccm_fleet, addr, hash_certificate=ca, hash_state='absent')['changed']
    assert not [h for h in ccm_fleet.state(addr)['hashes'] if not h['default']]
    factory = listing['hashes'][0]
    refused = _hash(ccm_fleet, addr, hash_value=factory['hash_forms']['mebx'], hash_state='absent')
    assert refused['_status'] == 'failed' and 'state: disabled' in refused['msg'] and addr in refused['msg']


def test_usb_only_firmware_points_to_setupbin(ccm_fleet, tmp_path):
    addr = ccm_fleet.addresses[1]
    ccm_fleet.patch(addr, hash_create_allowed=False)
    failed = _hash(ccm_fleet, addr, hash_value='ab' * 32, hash_name='Zone', hash_state='present')
    assert failed['_status'] == 'failed' and 'amt_usb_setupbin' in failed['msg']
    bad = _hash(ccm_fleet, addr, hash_value='abc', hash_state='present')
    assert bad['_status'] == 'failed' and 'option hash' in bad['msg']


def test_prepared_zone_takes_a_ccm_device_to_acm(tmp_path):
    """enterprise_prepare output -> amt_hash on the device -> amt_provision upgrade with the zone chain."""
    from tests.simulator.harness import Simulator
    with Simulator(devices=1, mode='pre') as sim:
        addr = sim.addresses[0]
        sim.patch(addr, hash_create_allowed=True)
        suffix = sim.state(addr)['pki_dns_suffix']
        zone = str(tmp_path / 'zone')
        inv = _local_inventory(tmp_path)
        assert run_playbook('files.yml', inv, {'zone_dir': zone, 'mgmt_cn': 'prov.' + suffix}).rc == 0
        state = sim.state(addr)
        base = {'prov_local_user': state['local_username'], 'prov_local_password': state['local_password']}
        ccm = run_playbook('provision.yml', inventory_for(sim, [addr]), dict(base, prov_password=sim.admin_password))
        assert ccm.task('Provision', 'dev0')['status'] == 'ok', ccm.stdout[-2000:]
        assert _hash(sim, addr, hash_certificate=os.path.join(zone, 'ca.crt'), hash_state='present')['changed']
        acm = run_playbook('provision.yml', inventory_for(sim, [addr]), dict(
            base, prov_password=sim.admin_password, prov_mode='acm', prov_cert=os.path.join(zone, 'mgmt-chain.pem'),
            prov_key=os.path.join(zone, 'mgmt.key')))
        result = acm.task('Provision', 'dev0')
        assert result['status'] == 'ok', result['result'].get('msg')
        assert sim.state(addr)['control_mode'] == 2


def test_zone_certificate_change_over_a_fleet(tmp_path):
    """§3.2.7 over a fleet of 10 ACM devices that can all move (test_zone_change.py covers the ones that cannot):
    the dry run reports every device ready and changes nothing; the real run makes a new zone next to the old one,
    unprovisions and provisions every device again with the new chain, succeeds, and leaks no password."""
    import yaml
    from tests.simulator.harness import Simulator
    zone = str(tmp_path / 'zone')
    assert run_playbook('files.yml', _local_inventory(tmp_path), {'zone_dir': zone}).rc == 0
    old_root = open(os.path.join(zone, 'ca.crt'), 'rb').read()
    with Simulator(devices=10, mode='acm') as sim:
        hosts = {}
        for i, addr in enumerate(sim.addresses):
            sim.patch(addr, hash_create_allowed=True)  # AMT 16 parts take hashes by USB only: covered elsewhere
            state = sim.state(addr)
            hosts['pc%02d' % i] = {
                'amt_host': addr, 'enterprise_mode_lms_host': addr, 'enterprise_mode_lms_port': 16990,
                'enterprise_mode_local_username': state['local_username'],
                'enterprise_mode_local_password': state['local_password']}
        inv = {'all': {'vars': {'ansible_connection': 'local', 'amt_ca_path': sim.ca_path,
                                'ansible_python_interpreter': '{{ ansible_playbook_python }}',
                                'amt_password': sim.admin_password},
                       'children': {'amt_acm': {'hosts': hosts}}}}
        path = tmp_path / 'fleet.yml'
        path.write_text(yaml.safe_dump(inv))
        playbook = os.path.join(REPO, 'playbooks', 'change_zone_certificate.yml')
        zone_next = str(tmp_path / 'zone-next')
        ev = {'zone_change_dir': zone_next}
        report = 'Every target and what happened to it'
        dry = run_playbook(playbook, str(path), ev, check=True, forks=10)
        assert dry.rc == 0, dry.stdout[-3000:]
        lines = dry.task(report, 'localhost')['result']['msg']
        assert sorted(line.split(' ', 2)[1] for line in lines) == sorted(hosts), lines
        assert all(line.startswith('ready ') and 'would unprovision' in line for line in lines), lines
        assert all(sim.state(a)['control_mode'] == 2 for a in sim.addresses)
        assert not os.path.exists(os.path.join(zone_next, 'ca.crt'))
        run = run_playbook(playbook, str(path), ev, forks=10)
        assert run.rc == 0, run.stdout[-4000:]
        assert not run.failed_hosts
        assert all(line.startswith('changed ') for line in run.task(report, 'localhost')['result']['msg'])
        assert open(os.path.join(zone, 'ca.crt'), 'rb').read() == old_root      # the old zone stays
        new_root = open(os.path.join(zone_next, 'ca.crt'), 'rb').read()
        assert new_root != old_root
        from ansible_collections.oob.amt.plugins.module_utils.formats.certs import certificate_hashes, load_certificates
        new_hash = certificate_hashes(load_certificates(new_root)[0])['sha256']['hex']
        for addr in sim.addresses:
            state = sim.state(addr)
            assert state['control_mode'] == 2 and state['provisioning_state'] == 2
            assert [h['hash'] for h in state['hashes'] if not h['default']] == [new_hash]
        assert sim.admin_password not in run.stdout


def test_hash_of_what_a_tls_server_presents(ccm_fleet, tmp_path):
    from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
    addr = ccm_fleet.addresses[0]
    path = tmp_path / 'tls.yml'
    path.write_text('- hosts: localhost\n  gather_facts: false\n  tasks:\n    - name: Hash\n'
                    '      oob.amt.amt_hash:\n        tls_host: %s\n        tls_port: 16993\n' % addr)
    run = run_playbook(str(path), _local_inventory(tmp_path))
    result = run.task('Hash', 'localhost')['result']
    client = WsmanClient(**ccm_fleet.connection(addr))
    client.identify()
    assert result['root_hash']['sha256']['hex'] == client.peer_cert_sha256.replace(':', '').lower()
    assert not result['changed']


def test_enterprise_prepare_with_an_external_ca(tmp_path):
    """icc -> the CA signs -> icmc -p: the playbook's external path, with a CA made here."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    zone = str(tmp_path / 'zone')
    playbook = os.path.join(REPO, 'playbooks', 'enterprise_prepare.yml')
    inv = _local_inventory(tmp_path)
    ev = {'prepare_dir': zone, 'prepare_ca': 'external'}
    first = run_playbook(playbook, inv, ev)
    assert first.rc == 0, first.stdout[-2000:]
    assert sorted(os.listdir(zone)) == ['mgmt.csr', 'mgmt.key']
    with open(os.path.join(zone, 'mgmt.csr'), 'rb') as fh:
        csr = x509.load_pem_x509_csr(fh.read())
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Corp Issuing Root')])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(3).not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=99))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), True).sign(ca_key, hashes.SHA256()))
    builder = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca_name).public_key(csr.public_key())
               .serial_number(4).not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=60)))
    for ext in csr.extensions:                       # the CA honours the requested extensions
        builder = builder.add_extension(ext.value, ext.critical)
    signed = builder.sign(ca_key, hashes.SHA256())
    (tmp_path / 'signed.cer').write_bytes(signed.public_bytes(serialization.Encoding.DER))
    (tmp_path / 'chain.pem').write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    ev.update(prepare_signed_certificate=str(tmp_path / 'signed.cer'), prepare_ca_chain=str(tmp_path / 'chain.pem'),
              prepare_mebx_password=MEBX)
    second = run_playbook(playbook, inv, ev)
    assert second.rc == 0, second.stdout[-2000:]
    root = second.task('Root CA hash (zman irch)', 'localhost')['result']['root_hash']
    assert root['sha256']['hex'] == hashlib.sha256(ca.public_bytes(serialization.Encoding.DER)).hexdigest()
    assert second.task('USB provisioning file for the devices (USBFile -create)', 'localhost')['result']['changed']
    third = run_playbook(playbook, inv, ev)
    assert not [r['task'] for r in third.results if r['result'].get('changed')]
