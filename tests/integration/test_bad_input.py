"""Bad input for every module and the inventory plugin: refused before any device is contacted, with a message that
names the option and says why, and never carries a password.

One playbook run (playbooks/bad_input.yml, only bad tasks, each module against its own simulated device) and one
batch of ansible-inventory runs; every case then checks its own result and the request log of its device."""
import datetime
import os
import tempfile

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from tests.integration.runner import PLAYBOOKS, REPO, inventory_for, run_cli, run_playbook

DEVICE_MODULES = ('amt_info', 'amt_power', 'amt_boot', 'amt_alarm', 'amt_hash', 'amt_provision')
MODULES = DEVICE_MODULES + ('amt_mgmtcert', 'amt_usb_setupbin', 'amt_usb_setupbin_info', 'amt_reconcile')
BAD_PASSWORDS = {'short': 'Sh0rt!', 'no_digit': 'NoDigits!!abc', 'colon': 'Col0n:Pass!x', 'non_ascii': 'P\u00e4ssw0rd!x12',
                 'comma': 'Comm4,Pass!x', 'pfx': 'Wr0ng-Pfx!9', 'mebx_current': 'admin'}
GOOD_PASSWORD = 'G00d-Pass!x'
PFX_PASSWORD = 'R1ght-Pfx!x'


# (task name in bad_input.yml, fragment the message must contain: it names the option and says why)
CASES = [
    ('amt_info: host missing', 'option host is required'),
    ('amt_info: port zero', 'option port must be between 1 and 65535'),
    ('amt_info: port above 65535', 'option port must be between 1 and 65535'),
    ('amt_info: port not a number', "argument 'port' is of type str"),
    ('amt_info: negative timeout', 'option timeout must be a positive number'),
    ('amt_info: zero timeout', 'option timeout must be a positive number'),
    ('amt_info: timeout not a number', "argument 'timeout' is of type str"),
    ('amt_info: use_tls not a boolean', "argument 'use_tls' is of type str"),
    ('amt_info: validate_certs not a boolean', "argument 'validate_certs' is of type str"),
    ('amt_info: unreadable ca_path', 'option ca_path: cannot read'),
    ('amt_info: ca_path not a certificate', 'option ca_path: '),
    ('amt_info: client_cert without client_key', 'options client_cert and client_key must be given together'),
    ('amt_info: unreadable client_key', 'option client_key: cannot read'),
    ('amt_info: mismatched client_cert and client_key', 'options client_cert and client_key: the key in'),
    ('amt_info: unknown ciphers', 'option ciphers: OpenSSL supports none'),
    ('amt_info: unknown min_tls_version', 'value of min_tls_version must be one of'),
    ('amt_info: cert_fingerprint not SHA-256', 'option cert_fingerprint must be a SHA-256 fingerprint'),
    ('amt_info: cert_fingerprint not hex', 'option cert_fingerprint must be a SHA-256 fingerprint'),
    ('amt_info: unknown gather subset', 'value of gather must be one or more of'),
    ('amt_info: unknown option', 'Unsupported parameters for (oob.amt.amt_info) module: gahter'),
    ('amt_power: unknown power state', 'value of state must be one of'),
    ('amt_power: state missing', 'missing required arguments: state'),
    ('amt_power: wait not a boolean', "argument 'wait' is of type str"),
    ('amt_power: negative wait_timeout', 'option wait_timeout must be a positive number'),
    ('amt_power: wait_timeout not a number', "argument 'wait_timeout' is of type str"),
    ('amt_power: port out of range', 'option port must be between 1 and 65535'),
    ('amt_power: negative timeout', 'option timeout must be a positive number'),
    ('amt_power: host missing', 'option host is required'),
    ('amt_power: mismatched client_cert and client_key', 'options client_cert and client_key: the key in'),
    ('amt_boot: unknown boot device', 'value of device must be one of'),
    ('amt_boot: device missing', 'missing required arguments: device'),
    ('amt_boot: power not a boolean', "argument 'power' is of type str"),
    ('amt_boot: port out of range', 'option port must be between 1 and 65535'),
    ('amt_boot: unreadable ca_path', 'option ca_path: cannot read'),
    ('amt_alarm: start in the past', 'option start must be in the future'),
    ('amt_alarm: start not UTC', 'option start must be a UTC time'),
    ('amt_alarm: start not a whole minute', 'option start must be a whole minute'),
    ('amt_alarm: start not a time', 'option start must be a UTC time'),
    ('amt_alarm: start missing', 'state is present but all of the following are missing: start'),
    ('amt_alarm: unknown interval', 'option interval must be hourly, daily, weekly'),
    ('amt_alarm: interval hours out of range', 'option interval: hours must be 0-23'),
    ('amt_alarm: name too long', 'option name must be 1 to 32 characters'),
    ('amt_alarm: name empty', 'option name must be 1 to 32 characters'),
    ('amt_alarm: unknown state', 'value of state must be one of'),
    ('amt_alarm: delete_on_completion not a boolean', "argument 'delete_on_completion' is of type str"),
    ('amt_alarm: timeout not a number', "argument 'timeout' is of type str"),
    ('amt_hash: hash not hex', 'is not a hexadecimal hash'),
    ('amt_hash: hash length does not fit the algorithm', 'option hash: 40 hex digits is not a sha256 hash'),
    ('amt_hash: unknown algorithm', 'value of algorithm must be one of'),
    ('amt_hash: name too long', 'option name: a friendly name has 1 to 32 characters'),
    ('amt_hash: unreadable certificate', 'option certificate: cannot read'),
    ('amt_hash: certificate not a certificate', 'neither PEM nor DER certificate data'),
    ('amt_hash: tls_port out of range', 'tls_port'),
    ('amt_hash: state without a hash', 'give certificate, hash or tls_host'),
    ('amt_hash: unknown state', 'value of state must be one of'),
    ('amt_hash: hash and certificate together', 'parameters are mutually exclusive: certificate|hash|tls_host'),
    ('amt_hash: port out of range', 'option port must be between 1 and 65535'),
    ('amt_provision: admin_password too short', 'admin_password does not meet the AMT password rules: must be 8 to 32'),
    ('amt_provision: admin_password without a digit', 'admin_password does not meet the AMT password rules: needs at least one digit'),
    ('amt_provision: admin_password with a colon', "admin_password does not meet the AMT password rules: must not contain ':'"),
    ('amt_provision: admin_password not ASCII', 'admin_password does not meet the AMT password rules: must use printable 7-bit ASCII'),
    ('amt_provision: admin_password missing', 'missing required arguments: admin_password'),
    ('amt_provision: unknown mode', 'value of mode must be one of'),
    ('amt_provision: lms_port out of range', 'option lms_port must be between 1 and 65535'),
    ('amt_provision: port out of range', 'option port must be between 1 and 65535'),
    ('amt_provision: acm without a certificate', 'mode acm needs provisioning_pfx, or provisioning_cert and provisioning_key'),
    ('amt_provision: provisioning_cert without provisioning_key', 'parameters are required together: provisioning_cert, provisioning_key'),
    ('amt_provision: provisioning_cert and provisioning_key do not match', 'provisioning_key'),
    ('amt_provision: unreadable provisioning_pfx', 'provisioning_pfx'),
    ('amt_provision: wrong provisioning_pfx_password', 'provisioning_pfx: cannot open the PFX (wrong pfx_password'),
    ('amt_provision: pfx and cert together', 'parameters are mutually exclusive: provisioning_pfx|provisioning_cert'),
    ('amt_provision: negative wait_timeout', 'wait_timeout'),
    ('amt_provision: host_dhcp not a boolean', "argument 'host_dhcp' is of type str"),
    ('amt_mgmtcert: key_size too small', 'value of key_size must be one of: 2048, 3072, 4096'),
    ('amt_mgmtcert: valid_days zero', 'option valid_days must be at least 1'),
    ('amt_mgmtcert: negative renew_before_days', 'option renew_before_days must not be negative'),
    ('amt_mgmtcert: country not two letters', 'option country must be a two-letter code'),
    ('amt_mgmtcert: dns_names with a space', "option dns_names: 'bad name.example.com' is not a DNS name"),
    ('amt_mgmtcert: common_name missing', 'state is present but all of the following are missing: common_name'),
    ('amt_mgmtcert: imported without certificate', 'state is imported but all of the following are missing: certificate'),
    ('amt_mgmtcert: unreadable certificate', 'certificate'),
    ('amt_mgmtcert: certificate not matching the key', 'does not belong to the key of the request'),
    ('amt_mgmtcert: unknown ca', 'value of ca must be one of'),
    ('amt_mgmtcert: valid_days not a number', "argument 'valid_days' is of type str"),
    ('amt_usb_setupbin: new_password breaks the rules', 'new_password breaks the AMT password rules: must be 8 to 32'),
    ('amt_usb_setupbin: new_password with a comma', "new_password breaks the AMT password rules: must not contain ','"),
    ('amt_usb_setupbin: unknown version', 'value of version must be one of'),
    ('amt_usb_setupbin: passwords missing', 'one of the following is required: records, current_password'),
    ('amt_usb_setupbin: records and current_password together', 'parameters are mutually exclusive: records|current_password'),
    ('amt_usb_setupbin: provisioning_server_port out of range', 'provisioning_server_port'),
    ('amt_usb_setupbin: trusted hash not hex', 'trusted_hashes[0].hash:'),
    ('amt_usb_setupbin: directory does not exist', 'its directory does not exist'),
    ('amt_usb_setupbin: usb_device not a block device', 'is not a block device'),
    ('amt_usb_setupbin: usb_max_size_gb zero', 'usb_max_size_gb'),
    ('amt_usb_setupbin_info: path missing', 'cannot read it (No such file or directory)'),
    ('amt_usb_setupbin_info: not a setup.bin', 'not a setup.bin'),
    ('amt_usb_setupbin_info: larger than 1 MiB', 'larger than 1 MiB'),
    ('amt_reconcile: out_of_band missing', 'missing required arguments: out_of_band'),
    ('amt_reconcile: out_of_band not a list of dicts', "Elements value for option 'out_of_band'"),
    ('amt_reconcile: unknown format', 'value of formats must be one or more of'),
    ('amt_reconcile: dest is a file', 'option dest: '),
    ('amt_reconcile: uuid not a string', 'option out_of_band[0].uuid must be a string'),
    ('amt_reconcile: macs not a list', 'option in_band[0].macs must be a list'),
]


def _case_name(case):
    return case.values[0] if hasattr(case, 'values') else case[0]


def _write(directory, name, data):
    path = os.path.join(directory, name)
    with open(path, 'wb') as fh:
        fh.write(data)
    os.chmod(path, 0o600)
    return path


def _files(directory):
    """Certificates and keys that do not belong together, a PFX, unreadable, garbage and oversized files."""
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _index in range(2)]
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'bad-input.example.com')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(keys[0].public_key()) \
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30)) \
        .sign(keys[0], hashes.SHA256())

    def pem(key):
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    key_dir = os.path.join(directory, 'zone')
    os.makedirs(key_dir)
    _write(key_dir, 'mgmt.key', pem(keys[1]))            # a request whose key the certificate does not match
    pfx = pkcs12.serialize_key_and_certificates(b'bad', keys[0], cert, None,
                                                serialization.BestAvailableEncryption(PFX_PASSWORD.encode()))
    return {'dir': directory, 'key_dir': key_dir, 'missing': os.path.join(directory, 'missing'),
            'garbage': _write(directory, 'garbage.txt', b'not a certificate\n'),
            'big': _write(directory, 'big.bin', b'\0' * (1024 * 1024 + 16)),
            'cert': _write(directory, 'cert.pem', cert.public_bytes(serialization.Encoding.PEM)),
            'key': _write(directory, 'key.pem', pem(keys[0])), 'other_key': _write(directory, 'other.pem', pem(keys[1])),
            'pfx': _write(directory, 'bad.pfx', pfx)}


@pytest.fixture(scope='module')
def sim():
    from tests.simulator.harness import Simulator
    with Simulator(devices=len(DEVICE_MODULES) + 1) as simulator:
        yield simulator


@pytest.fixture(scope='module')
def bad_run(sim):
    devices = dict(zip(DEVICE_MODULES + ('known_gaps',), sim.addresses))
    state = sim.state(devices['amt_provision'])
    local = {'username': state['local_username'], 'password': state['local_password']}
    directory = tempfile.mkdtemp(dir=sim.state_dir)
    sim.clear_log()
    run = run_playbook('bad_input.yml', inventory_for(sim, sim.addresses[:1]),
                       {'dev': devices, 'files': _files(directory), 'bad_passwords': BAD_PASSWORDS,
                        'good_password': GOOD_PASSWORD, 'local_account': local})
    logs = dict((module, sim.log_entries(addr)) for module, addr in devices.items())
    secrets = [sim.admin_password, GOOD_PASSWORD, PFX_PASSWORD, local['password']] + \
        [v for k, v in BAD_PASSWORDS.items() if k != 'mebx_current']
    return run, logs, secrets


def test_every_module_and_every_task_is_covered():
    with open(os.path.join(PLAYBOOKS, 'bad_input.yml')) as fh:
        plays = yaml.safe_load(fh)
    names = []
    for play in plays:
        for task in play['tasks']:
            names += [t['name'] for t in task.get('block', [task])]
    cases = [_case_name(c) for c in CASES]
    assert sorted(names) == sorted(cases)
    assert len(set(cases)) == len(cases)
    assert sorted(set(c.split(':')[0] for c in cases)) == sorted(MODULES)


@pytest.mark.parametrize('task,fragment', CASES)
def test_bad_option_refused_before_contact(bad_run, task, fragment):
    run, logs, _secrets = bad_run
    entry = run.task(task, 'dev0')
    msg = entry['result'].get('msg') or ''
    assert entry['status'] == 'failed', entry['result']
    assert not msg.startswith('Task failed') and 'Module failed' not in msg, 'an exception, not a refusal: %s' % msg
    assert fragment in msg
    assert logs.get(task.split(':')[0], []) == [], 'a request reached the device'


def test_no_request_reached_any_device(bad_run):
    run, logs, _secrets = bad_run
    assert run.results, run.stderr[-2000:]
    # dev.known_gaps took the cases that once got past validation: now nothing reaches it either
    assert dict((m, len(e)) for m, e in logs.items()) == dict((m, 0) for m in DEVICE_MODULES + ('known_gaps',))


def test_no_password_in_any_message(bad_run):
    run, _logs, secrets = bad_run
    messages = '\n'.join(str(r['result'].get('msg')) for r in run.results)
    assert [s for s in secrets if s in messages] == []
    assert [s for s in secrets if s in run.stdout + run.stderr] == []


# -- inventory plugin ----------------------------------------------------------------------------------------------
INVENTORY_CASES = [
    ('cidr prefix too long', {'ranges': ['10.0.0.0/33']}, 'option ranges: invalid range'),
    ('address out of range', {'ranges': ['10.0.0.300']}, 'option ranges: invalid range'),
    ('not an address', {'ranges': ['not an address!']}, 'option ranges: invalid range'),
    ('reversed range', {'ranges': ['{base}.40-{base}.5']}, 'ends before it starts'),
    ('range too large', {'ranges': ['10.0.0.0/8']}, 'larger than a /12'),
    ('nothing to discover', {'ranges': [], 'hosts': []}, 'set ranges or hosts'),
    ('port zero', {'ports': [0]}, 'option ports: 0 is not a port between 1 and 65535'),
    ('port above 65535', {'ports': [16993, 70000]}, 'option ports: 70000 is not a port between 1 and 65535'),
    ('port not a number', {'ports': ['https']}, 'option ports'),
    ('concurrency zero', {'concurrency': 0}, 'option concurrency must be a whole number from 1 to'),
    ('negative timeout', {'timeout': -1}, 'option timeout must be a finite number above 0 and at most'),
    ('timeout not a number', {'timeout': 'soon'}, 'timeout'),
    ('credentials entry without ranges', {'credentials': [{'username': 'admin', 'password': 'Cr3d-Pass!x'}]},
     'option credentials[0]: each entry needs ranges'),
    ('credentials entry with a bad range', {'credentials': [{'ranges': ['10.0.0.0/33'], 'password': 'Cr3d-Pass!x'}]},
     'option credentials[0].ranges'),
    ('unknown hostname_source', {'hostname_source': 'dns'}, 'hostname_source'),
]


@pytest.fixture(scope='module')
def inventory_runs(sim):
    base = sim.first_address.rsplit('.', 1)[0]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, '.collections'), ANSIBLE_INVENTORY_ENABLED='oob.amt.amt',
               ANSIBLE_INVENTORY_UNPARSED_FAILED='True', AMT_PASSWORD=sim.admin_password, ANSIBLE_NOCOLOR='1')

    def one(case):
        _name, options, _fragment = case
        cfg = {'plugin': 'oob.amt.amt', 'ranges': ['%s.0/24' % base], 'timeout': 1.0, 'concurrency': 16,
               'ca_path': sim.ca_path}
        cfg.update(yaml.safe_load(yaml.safe_dump(options).replace('{base}', base)))
        path = os.path.join(tempfile.mkdtemp(dir=sim.state_dir), 'bad.amt.yml')
        with open(path, 'w') as fh:
            yaml.safe_dump(cfg, fh)
        proc = run_cli([os.path.join(REPO, '.venv', 'bin', 'ansible-inventory'), '-i', path, '--list'], env, timeout=120)
        return proc
    results = {}
    for case in INVENTORY_CASES:      # one at a time: the request log tells which case reached a device
        case = case.values if hasattr(case, 'values') else case
        sim.clear_log()
        results[case[0]] = (one(case), sim.log_entries())
    return results


@pytest.mark.parametrize('name,options,fragment', INVENTORY_CASES)
def test_inventory_bad_config_refused_before_contact(inventory_runs, name, options, fragment):
    proc, log = inventory_runs[name]
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-2000:]
    assert fragment in out, out[-2000:]
    assert 'Traceback' not in out
    assert 'P@ssw0rd' not in out and 'Cr3d-Pass!x' not in out
    assert log == [], 'discovery reached the simulated devices'
