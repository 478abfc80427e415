"""Issue 17 against the simulator: a pre-provisioned CSME 16.1 device through enterprise_mode to ACM with a zone-CA
TLS certificate (plain HTTP closed, reached with the CA only, re-run unchanged); amt_tls renewal, external CA,
removal, mutual TLS; amt_user / amt_network / amt_time converging with check mode and diff; bad input refused
before contact; playbooks/rotate_admin_password.yml with vault-held passwords; playbooks/device_tls.yml."""
import json
import os
import socket
import ssl
import subprocess

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ansible_collections.oob.amt.plugins.module_utils.formats import certs
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.zone_ca import run_mgmtcert
from tests.integration.runner import REPO, inventory_for, run_playbook

NEW = 'N3w-Admin!pw'
USER_PW = 'Helpd3sk!pw'


def make_zone(directory, common_name='prov.corp.example.com'):
    params = dict(state='present', ca='internal', path=directory, common_name=common_name, dns_names=[],
                  country=None, state_or_province=None, locality=None, organization='Issue 17',
                  organizational_unit=[], is_ca=False, key_type='rsa', key_size=2048, valid_days=300,
                  ca_common_name='Issue 17 Zone CA', ca_key_size=2048, ca_valid_days=3650, renew_before_days=1,
                  force=False, force_ca=False, seed_compatibility=False, certificate=None, ca_chain=None,
                  remove_ca=False)
    return run_mgmtcert(params)


def play(tmp_path, tasks, name='book.yml', hosts='all', defaults=True):
    entry = {'name': 'Issue 17 under test', 'hosts': hosts, 'gather_facts': False, 'tasks': tasks}
    if defaults:
        entry['module_defaults'] = {'group/oob.amt.amt': {'host': '{{ amt_host }}', 'password': '{{ amt_password }}',
                                                          'ca_path': '{{ amt_ca_path }}'}}
    path = tmp_path / name
    path.write_text(yaml.safe_dump([entry], sort_keys=False))
    return str(path)


def served_cert(addr, port=16993):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((addr, port), timeout=5) as sock:
        with ctx.wrap_socket(sock) as tls:
            return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))


def plain_http_answers(addr):
    try:
        with socket.create_connection((addr, 16992), timeout=5) as sock:
            sock.sendall(b'POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n')
            return bool(sock.recv(64))
    except OSError:
        return False


def changed_tasks(run):
    return [(r['host'], r['task']) for r in run.results if r['result'].get('changed')]


def test_enterprise_mode_to_acm_with_zone_tls_then_unchanged(tmp_path):
    """The issue's done-when: 16.1, pre-provisioned -> ACM + zone-CA TLS; plain HTTP closed; CA-only access."""
    from tests.simulator.harness import Simulator
    zone = str(tmp_path / 'zone')
    with Simulator(devices=1, mode='pre') as sim:
        addr = sim.addresses[0]
        state = sim.state(addr)
        assert state['amt_version'].startswith('16.1')
        info = make_zone(zone, common_name='prov.' + state['pki_dns_suffix'])
        sim.patch(addr, clock_offset=-600, hashes=state['hashes'] + [{
            'name': 'Zone', 'algorithm': 2, 'hash': info['root_hash']['sha256']['hex'], 'enabled': True,
            'default': False, 'id': 'zone'}])
        common = {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}',
                  'amt_ca_path': sim.ca_path}
        inv = tmp_path / 'hosts.yml'
        inv.write_text(yaml.safe_dump({'all': {'vars': common, 'children': {'amt_hosts': {'hosts': {'pc-ent': {
            'amt_host': addr, 'enterprise_mode_lms_host': addr, 'enterprise_mode_lms_port': 16990,
            'enterprise_mode_local_username': state['local_username'],
            'enterprise_mode_local_password': state['local_password'], 'enterprise_mode_zone_dir': zone,
            'enterprise_mode_common_name': 'prov.' + state['pki_dns_suffix'], 'enterprise_mode_admin_password': NEW,
            'enterprise_mode_tls': True}}}}}}))
        book = os.path.join(REPO, 'playbooks', 'provision_enterprise.yml')
        ev = {'provision_become': False}
        check = run_playbook(book, str(inv), ev, check=True, diff=True)
        assert check.rc == 0, check.stdout[-3000:]
        assert sim.state(addr)['provisioning_state'] == 0
        first = run_playbook(book, str(inv), ev, diff=True)
        assert first.rc == 0, first.stdout[-4000:]
        after = sim.state(addr)
        assert after['control_mode'] == 2 and after['tls']['applied']['context']
        tls = first.task('oob.amt.enterprise_mode : TLS server certificate from the zone CA, signed on the managing '
                         'server (rpc-go configure tls)', 'pc-ent')['result']
        assert tls['changed'] and tls['diff']['before']['certificate'] is None
        served = served_cert(addr)
        assert served.fingerprint(certs.hashes.SHA256()).hex() == tls['fingerprint']
        ca = x509.load_pem_x509_certificate(open(os.path.join(zone, 'ca.crt'), 'rb').read())
        assert certs.signed_by(served, ca)
        assert x509.IPAddress(__import__('ipaddress').ip_address(addr)) in served.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value
        # the key was made on the device: it is in the simulator's device state, not in the zone directory
        assert not any(f.startswith('device') for f in os.listdir(zone))
        assert not plain_http_answers(addr)
        assert abs(sim.state(addr)['clock_offset']) < 2
        # modules reach it with the zone CA only (no pinning workaround), and not with the old CA
        with WsmanClient(addr, password=NEW, ca_path=os.path.join(zone, 'ca.crt')) as client:
            assert client.get('AMT_GeneralSettings')['HostName']
        with pytest.raises(Exception):
            with WsmanClient(addr, password=NEW, ca_path=sim.ca_path) as client:
                client.get('AMT_GeneralSettings')
        again = run_playbook(book, str(inv), ev)
        assert again.rc == 0, again.stdout[-3000:]
        assert changed_tasks(again) == []
        assert served_cert(addr).fingerprint(certs.hashes.SHA256()).hex() == tls['fingerprint']
        assert NEW not in first.stdout + again.stdout + check.stdout


def _tls_task(zone, **extra):
    task = {'oob.amt.amt_tls': dict({'ca_dir': zone}, **extra), 'register': 'tls', 'ignore_errors': True}
    return dict({'name': 'TLS'}, **task)


def test_amt_tls_check_mode_renewal_prune_and_refusals(tmp_path):
    from tests.simulator.harness import Simulator
    zone = str(tmp_path / 'zone')
    make_zone(zone)
    with Simulator(devices=2, mode='acm') as sim:
        new16, old15 = sim.addresses
        sim.patch(new16, key_generation_seconds=2.5)
        inv = inventory_for(sim, [new16])
        check = run_playbook(play(tmp_path, [_tls_task(zone)]), inv, check=True, diff=True)
        res = check.task('TLS', 'dev0')['result']
        assert res['changed'] and 'fingerprint' not in res and not sim.state(new16).get('tls', {}).get('keys')
        first = run_playbook(play(tmp_path, [_tls_task(zone)]), inv, diff=True)
        res = first.task('TLS', 'dev0')['result']
        assert first.rc == 0 and res['changed'], first.stdout[-3000:]
        assert res['after']['settings']['remote']['accept_non_tls'] is False
        fp1 = res['fingerprint']
        assert served_cert(new16).fingerprint(certs.hashes.SHA256()).hex() == fp1
        inv2 = inventory_for(sim, [new16], amt_ca_path=os.path.join(zone, 'ca.crt'))
        again = run_playbook(play(tmp_path, [_tls_task(zone)]), inv2)
        res = again.task('TLS', 'dev0')['result']
        assert not res['changed'] and res['fingerprint'] == fp1 and res['exchanges'] <= 8
        # renewal: due within renew_before_days -> new key pair on the device, old certificate and key removed
        renew = run_playbook(play(tmp_path, [_tls_task(zone, renew_before_days=3000)]), inv2)
        res = renew.task('TLS', 'dev0')['result']
        assert res['changed'] and res['fingerprint'] != fp1 and any('within renew_before_days' in r for r in res['reasons'])
        tls_state = sim.state(new16)['tls']
        assert len(tls_state['keys']) == 1 and len([c for c in tls_state['certs'] if not c['root']]) == 1
        # 16.1 refuses plain HTTP modes and removal
        bad = run_playbook(play(tmp_path, [_tls_task(zone, mode='server_and_non_tls'),
                                           {'name': 'Remove', 'oob.amt.amt_tls': {'state': 'absent'},
                                            'ignore_errors': True}]), inv2)
        assert 'NonSecureConnectionsSupported' in bad.task('TLS', 'dev0')['result']['msg']
        assert 'cannot turn TLS off' in bad.task('Remove', 'dev0')['result']['msg']
        # an older device: plain HTTP may stay open, and TLS can be removed again
        inv15 = inventory_for(sim, [old15])
        mixed = run_playbook(play(tmp_path, [_tls_task(zone, mode='server_and_non_tls')]), inv15)
        assert mixed.task('TLS', 'dev0')['result']['changed'] and plain_http_answers(old15)
        inv15z = inventory_for(sim, [old15], amt_ca_path=os.path.join(zone, 'ca.crt'))
        removed = run_playbook(play(tmp_path, [{'name': 'Remove', 'oob.amt.amt_tls': {'state': 'absent'}}]), inv15z,
                               diff=True)
        res = removed.task('Remove', 'dev0')['result']
        assert removed.rc == 0 and res['changed'], removed.stdout[-2000:]
        assert not sim.state(old15)['tls']['applied']['remote']['Enabled']


def test_amt_tls_external_ca_and_mutual(tmp_path):
    from tests.simulator.harness import Simulator
    zone = str(tmp_path / 'zone')
    make_zone(zone)
    ext = str(tmp_path / 'ext')
    make_zone(ext)            # stands for the external CA: only its ca.crt is given to the module
    csr_path = str(tmp_path / 'device.csr')
    with Simulator(devices=1, mode='acm') as sim:
        addr = sim.addresses[0]
        inv = inventory_for(sim, [addr])
        step1 = run_playbook(play(tmp_path, [{'name': 'CSR', 'oob.amt.amt_tls': {'ca': 'external', 'csr_path': csr_path},
                                              'register': 'r'}]), inv)
        res = step1.task('CSR', 'dev0')['result']
        assert step1.rc == 0 and res['changed'] and res['csr_needed'], step1.stdout[-2000:]
        csr = x509.load_pem_x509_csr(open(csr_path, 'rb').read())
        assert csr.is_signature_valid
        again = run_playbook(play(tmp_path, [{'name': 'CSR', 'oob.amt.amt_tls': {'ca': 'external', 'csr_path': csr_path}}]),
                             inv)
        assert not again.task('CSR', 'dev0')['result']['changed']       # the same request, no second key pair
        assert len(sim.state(addr)['tls']['keys']) == 1
        from ansible_collections.oob.amt.plugins.module_utils.amt.tls import load_ca, sign_request
        ca_cert, ca_key = load_ca(ext)
        signed = sign_request(csr, ca_key, ca_cert, 90)
        cert_path = tmp_path / 'device.crt'
        cert_path.write_bytes(signed.public_bytes(serialization.Encoding.PEM))
        step2 = run_playbook(play(tmp_path, [{'name': 'Install', 'oob.amt.amt_tls': {
            'ca': 'external', 'certificate': str(cert_path), 'ca_certificate': os.path.join(ext, 'ca.crt'),
            'csr_path': csr_path}}]), inv)
        res = step2.task('Install', 'dev0')['result']
        assert step2.rc == 0 and res['changed'] and res['fingerprint'] == signed.fingerprint(certs.hashes.SHA256()).hex()
        # mutual TLS needs client_ca; with it the device asks consoles for a certificate from that CA
        inv_ext = inventory_for(sim, [addr], amt_ca_path=os.path.join(ext, 'ca.crt'))
        refused = run_playbook(play(tmp_path, [_tls_task(zone, mode='mutual')]), inv_ext)
        assert 'client_ca' in refused.task('TLS', 'dev0')['result']['msg']


def test_users_network_clock_converge_with_check_and_diff(tmp_path):
    from tests.simulator.harness import Simulator
    with Simulator(devices=1, mode='ccm') as sim:
        addr = sim.addresses[0]
        sim.patch(addr, clock_offset=3600)
        tasks = [
            {'name': 'User', 'oob.amt.amt_user': {'name': 'helpdesk', 'user_password': USER_PW,
                                                  'realms': ['remote_control', 'redirection'], 'access': 'any'}},
            {'name': 'Network', 'oob.amt.amt_network': {'hostname': 'lab-pc-7', 'domain': 'lab.example.com',
                                                        'ping_response': False, 'dhcp': True, 'host_dhcp': True}},
            {'name': 'Clock', 'oob.amt.amt_time': {}},
        ]
        inv = inventory_for(sim, [addr])
        book = play(tmp_path, tasks)
        before = sim.state(addr)
        check = run_playbook(book, inv, check=True, diff=True)
        assert check.rc == 0 and len(changed_tasks(check)) == 3, check.stdout[-3000:]
        now = sim.state(addr)
        assert not now.get('users') and now['hostname'] == before['hostname'] and now['clock_offset'] == 3600
        assert check.task('Clock', 'dev0')['result']['drift_seconds'] > 3500
        first = run_playbook(book, inv, diff=True)
        assert first.rc == 0 and len(changed_tasks(first)) == 3, first.stdout[-3000:]
        user = first.task('User', 'dev0')['result']
        assert user['diff']['after'] == {'name': 'helpdesk', 'access': 'any', 'realms': ['redirection', 'remote_control'],
                                         'password': 'changed'}
        net = first.task('Network', 'dev0')['result']
        assert net['diff']['after']['general']['hostname'] == 'lab-pc-7' and net['fqdn'] == 'lab-pc-7.lab.example.com'
        now = sim.state(addr)
        assert now['users'][0]['name'] == 'helpdesk' and now['hostname'] == 'lab-pc-7'
        assert now['general']['PingResponseEnabled'] is False and abs(now['clock_offset']) < 2
        # the new account signs in with its password (digest), over the network
        with WsmanClient(addr, username='helpdesk', password=USER_PW, ca_path=sim.ca_path) as client:
            client.get('AMT_GeneralSettings')
        again = run_playbook(book, inv, diff=True)
        assert again.rc == 0 and changed_tasks(again) == [], changed_tasks(again)
        # a new password is found by trying it: one update, then unchanged
        tasks[0]['oob.amt.amt_user']['user_password'] = 'Oth3r!pass'
        new_pw = run_playbook(play(tmp_path, tasks[:1]), inv)
        assert new_pw.task('User', 'dev0')['result']['password_changed']
        assert not run_playbook(play(tmp_path, tasks[:1]), inv).task('User', 'dev0')['result']['changed']
        gone = run_playbook(play(tmp_path, [{'name': 'User', 'oob.amt.amt_user': {'name': 'helpdesk',
                                                                                  'state': 'absent'}}]), inv)
        assert gone.task('User', 'dev0')['result']['changed'] and not sim.state(addr)['users']
        for run in (check, first, again, new_pw):
            assert USER_PW not in run.stdout + run.stderr + json.dumps(run.results)


BAD = [
    ({'oob.amt.amt_user': {'name': 'helpdesk', 'user_password': 'short', 'realms': ['redirection']}},
     'breaks the AMT password rules'),
    ({'oob.amt.amt_user': {'name': 'bad:name', 'user_password': USER_PW, 'realms': ['redirection']}}, 'option name'),
    ({'oob.amt.amt_user': {'name': 'helpdesk', 'user_password': USER_PW}}, 'option realms is required'),
    ({'oob.amt.amt_user': {'name': 'admin', 'state': 'absent'}}, 'cannot be removed'),
    ({'oob.amt.amt_network': {'dhcp': True, 'ip_address': '10.0.0.9'}}, 'cannot be combined'),
    ({'oob.amt.amt_network': {'dhcp': False}}, 'needs ip_address and subnet_mask'),
    ({'oob.amt.amt_network': {'dhcp': False, 'ip_address': '10.0.0.9', 'subnet_mask': '255.0.255.0'}},
     'not a contiguous mask'),
    ({'oob.amt.amt_network': {'dhcp': True, 'host_dhcp': False}}, 'host static + AMT DHCP'),
    ({'oob.amt.amt_network': {'hostname': 'pc.example.com'}}, 'one DNS label'),
    ({'oob.amt.amt_network': {}}, 'nothing to configure'),
    ({'oob.amt.amt_time': {'max_drift': 0}}, 'max_drift'),
    ({'oob.amt.amt_tls': {}}, 'ca=internal needs ca_dir'),
    ({'oob.amt.amt_tls': {'ca_dir': '/nonexistent', 'mode': 'mutual'}}, 'needs client_ca'),
    ({'oob.amt.amt_tls': {'ca': 'external'}}, 'csr_path'),
    ({'oob.amt.amt_tls': {'ca_dir': '/tmp', 'ip_addresses': ['not-an-ip']}}, 'not an IP address'),
    ({'oob.amt.amt_tls': {'ca_dir': '/tmp', 'valid_days': 0}}, 'valid_days'),
]


def test_bad_input_refused_before_contact(tmp_path):
    from tests.simulator.harness import Simulator
    with Simulator(devices=1, mode='ccm') as sim:
        tasks = [dict({'name': 'Bad %d' % i, 'ignore_errors': True}, **task) for i, (task, _msg) in enumerate(BAD)]
        sim.clear_log()
        run = run_playbook(play(tmp_path, tasks), inventory_for(sim))
        for i, (_task, fragment) in enumerate(BAD):
            entry = run.task('Bad %d' % i, 'dev0')
            assert entry['status'] == 'failed', (i, entry['result'])
            assert fragment in entry['result']['msg'], (i, entry['result']['msg'])
        assert sim.log_entries() == []          # nothing reached the device


def test_rotate_admin_password_playbook_with_vault(tmp_path):
    from tests.simulator.harness import Simulator
    vault_pw = tmp_path / 'vault-pass'
    vault_pw.write_text('vault-secret-17\n')
    with Simulator(devices=2, mode='acm') as sim:
        current = sim.admin_password
        inv = inventory_for(sim)
        # the passwords live in an encrypted group_vars file next to the inventory, as users keep them
        group_vars = os.path.join(os.path.dirname(inv), 'group_vars', 'all')
        os.makedirs(group_vars)
        secrets = os.path.join(group_vars, 'vault.yml')
        with open(secrets, 'w') as fh:
            yaml.safe_dump({'vault_amt_password': current, 'vault_amt_new_password': NEW}, fh)
        subprocess.run([os.path.join(REPO, '.venv', 'bin', 'ansible-vault'), 'encrypt', secrets,
                        '--vault-password-file', str(vault_pw)], check=True, capture_output=True)
        assert NEW not in open(secrets).read()
        book = os.path.join(REPO, 'playbooks', 'rotate_admin_password.yml')
        env = {'ANSIBLE_VAULT_PASSWORD_FILE': str(vault_pw)}
        task = 'Set the new admin password (tried first, set only where it differs)'
        runs = [run_playbook(book, inv, {'rotate_targets': 'all'}, check=True, env=env, verbosity=3)]
        with WsmanClient(sim.addresses[0], password=current, ca_path=sim.ca_path) as client:
            client.get('AMT_GeneralSettings')          # check mode changed nothing
        runs += [run_playbook(book, inv, {'rotate_targets': 'all'}, env=env, verbosity=3) for _i in range(2)]
        for run in runs:
            assert run.rc == 0, run.stdout[-3000:]
        assert all(r['result']['changed'] for r in runs[0].task(task))
        assert all(r['result']['changed'] for r in runs[1].task(task))
        assert changed_tasks(runs[2]) == []
        for addr in sim.addresses:
            with WsmanClient(addr, password=NEW, ca_path=sim.ca_path) as client:
                client.get('AMT_GeneralSettings')
        for run in runs:
            text = run.stdout + run.stderr + json.dumps(run.results)
            assert NEW not in text and current not in text


def test_device_tls_playbook_fleet_and_fingerprints(tmp_path):
    from tests.simulator.harness import Simulator
    zone = str(tmp_path / 'zone')
    make_zone(zone)
    fps = tmp_path / 'fps'
    fps.mkdir()
    with Simulator(devices=2, mode='acm') as sim:
        inv = inventory_for(sim)
        book = os.path.join(REPO, 'playbooks', 'device_tls.yml')
        ev = {'device_tls_ca_dir': zone, 'device_tls_fingerprint_dir': str(fps), 'device_tls_targets': 'all'}
        first = run_playbook(book, inv, ev)
        assert first.rc == 0, first.stdout[-3000:]
        for i, addr in enumerate(sim.addresses):
            pinned = yaml.safe_load((fps / ('dev%d.yml' % i)).read_text())['amt_cert_fingerprint']
            assert served_cert(addr).fingerprint(certs.hashes.SHA256()).hex() == pinned
        pins = yaml.safe_load((fps / 'cert_fingerprints.yml').read_text())['cert_fingerprints']
        assert sorted(pins) == sorted(sim.addresses)
        assert all(served_cert(a).fingerprint(certs.hashes.SHA256()).hex() == pins[a] for a in sim.addresses)
        again = run_playbook(book, inv, ev)
        assert again.rc == 0 and changed_tasks(again) == [], changed_tasks(again)


def test_smb_mode_sets_host_name_domain_and_network(tmp_path):
    """smb_mode after activation: what the SMB steps set in MEBx, through amt_network; the table is checked."""
    from tests.simulator.harness import Simulator
    with Simulator(devices=1, mode='pre') as sim:
        addr = sim.addresses[0]
        s0 = sim.state(addr)
        host = {'amt_host': addr, 'smb_mode_lms_host': addr, 'smb_mode_lms_port': 16990,
                'smb_mode_local_username': s0['local_username'], 'smb_mode_local_password': s0['local_password'],
                'smb_mode_admin_password': NEW, 'smb_mode_amt_hostname': 'smb-pc-1',
                'smb_mode_amt_domain': 'shop.example.com', 'smb_mode_amt_dhcp': True, 'smb_mode_host_dhcp': True}
        common = {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}',
                  'amt_ca_path': sim.ca_path}
        inv = tmp_path / 'hosts.yml'
        inv.write_text(yaml.safe_dump({'all': {'vars': common, 'children': {'amt_hosts': {'hosts': {'pc': host}}}}}))
        book = os.path.join(REPO, 'playbooks', 'provision_smb.yml')
        ev = {'provision_become': False}
        first = run_playbook(book, str(inv), ev, diff=True)
        assert first.rc == 0, first.stdout[-3000:]
        after = sim.state(addr)
        assert after['control_mode'] == 1 and after['hostname'] == 'smb-pc-1' and after['domain'] == 'shop.example.com'
        again = run_playbook(book, str(inv), ev)
        assert again.rc == 0 and changed_tasks(again) == [], changed_tasks(again)
        host.update(smb_mode_amt_dhcp=False, smb_mode_amt_ip_address='10.9.0.5', smb_mode_amt_subnet_mask='255.255.0.0')
        inv.write_text(yaml.safe_dump({'all': {'vars': common, 'children': {'amt_hosts': {'hosts': {'pc': host}}}}}))
        refused = run_playbook(book, str(inv), ev)
        assert refused.rc != 0 and 'host DHCP + AMT static' in refused.stdout
        assert sim.state(addr)['network']['dhcp_enabled'] is True


def test_amt_tls_mutual_with_console_certificates(tmp_path):
    """mode: mutual - the client CA becomes a trusted root; afterwards only consoles with its certificates get in."""
    import datetime
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from ansible_collections.oob.amt.plugins.module_utils.amt.tls import load_ca
    from tests.simulator.harness import Simulator
    zone = str(tmp_path / 'zone')
    make_zone(zone)
    ca, ca_key = load_ca(zone)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.timezone.utc)
    console = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'console')]))
               .issuer_name(ca.subject).public_key(key.public_key()).serial_number(7)
               .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
               .sign(ca_key, certs.hashes.SHA256()))
    (tmp_path / 'console.pem').write_bytes(console.public_bytes(serialization.Encoding.PEM))
    (tmp_path / 'console.key').write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                             serialization.PrivateFormat.PKCS8,
                                                             serialization.NoEncryption()))
    client = {'client_cert': str(tmp_path / 'console.pem'), 'client_key': str(tmp_path / 'console.key')}
    with Simulator(devices=1, mode='acm') as sim:
        addr = sim.addresses[0]
        task = _tls_task(zone, mode='mutual', client_ca=os.path.join(zone, 'ca.crt'), **client)
        first = run_playbook(play(tmp_path, [task]), inventory_for(sim, [addr]), diff=True)
        res = first.task('TLS', 'dev0')['result']
        assert first.rc == 0 and res['changed'] and res['after']['settings']['remote']['mutual_authentication'], \
            first.stdout[-3000:]
        with WsmanClient(addr, password=sim.admin_password, ca_path=os.path.join(zone, 'ca.crt'), **client) as ok:
            ok.get('AMT_GeneralSettings')
        with pytest.raises(Exception):
            with WsmanClient(addr, password=sim.admin_password, ca_path=os.path.join(zone, 'ca.crt')) as bare:
                bare.get('AMT_GeneralSettings')
        again = run_playbook(play(tmp_path, [task]), inventory_for(sim, [addr], amt_ca_path=os.path.join(zone, 'ca.crt')))
        assert not again.task('TLS', 'dev0')['result']['changed']
