"""Certificates (markers, hash forms, CA/CSR/import), atomic files, the FAT image, the hash table logic."""
import datetime
import hashlib
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ansible_collections.oob.amt.plugins.module_utils.formats import certs
from ansible_collections.oob.amt.plugins.module_utils import zone_ca as mc
from ansible_collections.oob.amt.plugins.module_utils.formats.files import write_atomic
from ansible_collections.oob.amt.plugins.module_utils.amt.hashes import HashError, run_hash
from ansible_collections.oob.amt.plugins.module_utils.formats.fat_image import (
    FatImageError, build_image, build_partition, check_usb_device)
from ansible_collections.oob.amt.plugins.module_utils.formats.setupbin import build_file

PARAMS = dict(state='present', ca='internal', common_name='prov.example.com', dns_names=[], country='DE',
              state_or_province=None, locality=None, organization='Example', organizational_unit=[], is_ca=False,
              key_type='rsa', key_size=2048, valid_days=365, ca_common_name='Example AMT Zone CA', ca_key_size=2048,
              ca_valid_days=3650, renew_before_days=30, force=False, force_ca=False, seed_compatibility=False,
              certificate=None, ca_chain=None, remove_ca=False, backup=False)


def test_hash_forms_match_the_seed_examples():
    forms = certs.hash_forms('1f0e1c88a088b56ae8826d2801d42fb46f8d1677')
    assert forms['colon'] == '1F:0E:1C:88:A0:88:B5:6A:E8:82:6D:28:01:D4:2F:B4:6F:8D:16:77'
    assert forms['mebx'] == '1F0E-1C88-A088-B56A-E882-6D28-01D4-2FB4-6F8D-1677'
    for form in forms.values():
        assert certs.normalize_hash(form) == '1f0e1c88a088b56ae8826d2801d42fb46f8d1677'
    with pytest.raises(ValueError):
        certs.normalize_hash('not-a-hash')
    assert certs.algorithm_for_length('a' * 64) == 'sha256' and certs.algorithm_for_length('a' * 10) is None


def _cert(ekus=(), ous=()):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attrs = [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou) for ou in ous]
    name = x509.Name(attrs + [x509.NameAttribute(NameOID.COMMON_NAME, 'p.example.com')])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1)))
    if ekus:
        builder = builder.add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(o) for o in ekus]), False)
    return builder.sign(key, hashes.SHA256())


@pytest.mark.parametrize('ekus, ous, verdict', [
    ((certs.SETUP_OID, certs.SERVER_AUTH_OID), (), True),
    ((), (certs.SETUP_OU,), True),
    ((certs.SETUP_OID,), (), False),              # Client Setup without serverAuth is not enough
    ((certs.CONSOLE_OID, certs.SERVER_AUTH_OID), (), 'warn'),
    ((), ('Intel Client Setup Certificate',), False),  # the seed's spelling lacks "(R)"
    ((certs.SERVER_AUTH_OID,), (), False),
])
def test_marker_rules(ekus, ous, verdict):
    assert certs.marker_verdict(_cert(ekus, ous))[0] == verdict


def test_certificate_hashes_are_over_the_der():
    cert = _cert()
    der = cert.public_bytes(serialization.Encoding.DER)
    h = certs.certificate_hashes(cert)
    assert h['sha256']['hex'] == hashlib.sha256(der).hexdigest()
    assert h['sha384']['hex'] == hashlib.sha384(der).hexdigest()
    assert h['md5']['display_only'] is True


def test_internal_ca_is_created_once_and_files_are_private(tmp_path):
    params = dict(PARAMS, path=str(tmp_path / 'zone'))
    first = mc.run_mgmtcert(params)
    assert first['changed'] and sorted(first['written']) == ['ca.crt', 'ca.key', 'mgmt-chain.pem', 'mgmt.crt', 'mgmt.key']
    assert stat.S_IMODE(os.stat(first['files']['key']).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(first['files']['ca_key']).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(params['path']).st_mode) == 0o700
    assert first['certificate']['markers'] == {'client_setup_oid': True, 'server_auth': True,
                                               'remote_console_oid': False, 'client_setup_ou': True}
    second = mc.run_mgmtcert(params)
    assert not second['changed'] and second['certificate'] == first['certificate']
    assert second['root_hash'] == first['root_hash']
    chain = certs.load_certificate_file(first['files']['chain'])
    assert certs.verify_chain(chain) == [] and len(chain) == 2


def test_changed_parameters_reissue_only_the_management_certificate(tmp_path):
    params = dict(PARAMS, path=str(tmp_path))
    first = mc.run_mgmtcert(params)
    changed = mc.run_mgmtcert(dict(params, seed_compatibility=True, dns_names=['amt.example.com']))
    assert changed['changed'] and changed['root_hash'] == first['root_hash']
    assert changed['certificate']['markers']['remote_console_oid']
    assert 'mgmt.key' not in changed['written']  # same key type/size: the key stays
    forced = mc.run_mgmtcert(dict(params, force=True))
    assert 'mgmt.key' in forced['written'] and forced['root_hash'] == first['root_hash']
    rotated = mc.run_mgmtcert(dict(params, force_ca=True))
    assert rotated['root_hash'] != first['root_hash']


def test_keys_are_never_replaced_without_force(tmp_path):
    params = dict(PARAMS, path=str(tmp_path))
    mc.run_mgmtcert(params)
    key_before = (tmp_path / 'mgmt.key').read_bytes()
    with pytest.raises(mc.MgmtCertError, match='set force: true to replace the key'):
        mc.run_mgmtcert(dict(params, key_size=3072))
    assert (tmp_path / 'mgmt.key').read_bytes() == key_before
    (tmp_path / 'mgmt.key').write_bytes(b'garbage')
    with pytest.raises(mc.MgmtCertError, match='not a readable private key'):
        mc.run_mgmtcert(params)
    assert (tmp_path / 'mgmt.key').read_bytes() == b'garbage'
    replaced = mc.run_mgmtcert(dict(params, key_size=3072, force=True, backup=True))
    assert 'mgmt.key' in replaced['written'] and any(b.endswith('~') for b in replaced['backup_files'])
    assert b'garbage' in [open(b, 'rb').read() for b in replaced['backup_files']]


def test_renewal_re_signs_the_same_keys(tmp_path):
    params = dict(PARAMS, path=str(tmp_path), ca_valid_days=20, valid_days=10)
    first = mc.run_mgmtcert(params)
    keys = [(tmp_path / name).read_bytes() for name in ('ca.key', 'mgmt.key')]
    warnings = []
    renewed = mc.run_mgmtcert(dict(params, renew_before_days=30), warn=warnings.append)
    assert renewed['changed'] and sorted(renewed['written']) == ['ca.crt', 'mgmt-chain.pem', 'mgmt.crt']
    assert [(tmp_path / name).read_bytes() for name in ('ca.key', 'mgmt.key')] == keys
    assert renewed['root_hash'] != first['root_hash'] and 'root hash changed' in warnings[0]


def test_check_mode_writes_nothing(tmp_path):
    params = dict(PARAMS, path=str(tmp_path / 'zone'))
    result = mc.run_mgmtcert(params, check_mode=True, diff=True)
    assert result['changed'] and not os.path.exists(params['path'])
    assert result['diff']['before'] == {'certificate': None, 'ca': None}


def _external_ca(tmp_path, csr_pem, ekus=(certs.SETUP_OID, certs.SERVER_AUTH_OID), days=365):
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Corp Root')])
    now = datetime.datetime.now(datetime.timezone.utc)
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(7).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=900))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), True).sign(ca_key, hashes.SHA256()))
    name = x509.Name([a for a in csr.subject if a.oid != NameOID.ORGANIZATIONAL_UNIT_NAME])
    leaf = (x509.CertificateBuilder().subject_name(name).issuer_name(ca_name).public_key(csr.public_key())
            .serial_number(8).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(o) for o in ekus]), False)
            .sign(ca_key, hashes.SHA256()))
    leaf_path, ca_path = tmp_path / 'signed.cer', tmp_path / 'root.pem'
    leaf_path.write_bytes(leaf.public_bytes(serialization.Encoding.DER))
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return str(leaf_path), str(ca_path)


def test_csr_then_import(tmp_path):
    zone = str(tmp_path / 'zone')
    request = mc.run_mgmtcert(dict(PARAMS, state='csr', path=zone, is_ca=True, organizational_unit=['IT']))
    assert request['changed'] and 'CERTIFICATE REQUEST' in request['csr']
    csr = x509.load_pem_x509_csr(request['csr'].encode())
    assert certs.markers(csr)['client_setup_ou'] and certs.markers(csr)['client_setup_oid']
    assert csr.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    again = mc.run_mgmtcert(dict(PARAMS, state='csr', path=zone, is_ca=True, organizational_unit=['IT']))
    assert not again['changed']
    leaf, root = _external_ca(tmp_path, request['csr'])
    params = dict(PARAMS, state='imported', path=zone, certificate=leaf, ca_chain=root)
    imported = mc.run_mgmtcert(params)
    assert imported['changed'] and imported['ca']['subject'] == 'CN=Corp Root'
    assert not mc.run_mgmtcert(params)['changed']
    with pytest.raises(mc.MgmtCertError, match='self-signed root'):
        mc.run_mgmtcert(dict(params, ca_chain=None))


def test_import_checks(tmp_path):
    zone = str(tmp_path / 'zone')
    request = mc.run_mgmtcert(dict(PARAMS, state='csr', path=zone))
    leaf, root = _external_ca(tmp_path, request['csr'], ekus=(certs.SERVER_AUTH_OID,))
    with pytest.raises(mc.MgmtCertError, match='neither the EKU'):
        mc.run_mgmtcert(dict(PARAMS, state='imported', path=zone, certificate=leaf, ca_chain=root))
    warnings = []
    leaf, root = _external_ca(tmp_path, request['csr'], ekus=(certs.CONSOLE_OID, certs.SERVER_AUTH_OID))
    mc.run_mgmtcert(dict(PARAMS, state='imported', path=zone, certificate=leaf, ca_chain=root), warn=warnings.append)
    assert warnings and 'Remote Console' in warnings[0]
    other = mc.run_mgmtcert(dict(PARAMS, state='csr', path=str(tmp_path / 'other')))
    leaf, root = _external_ca(tmp_path, other['csr'])
    with pytest.raises(mc.MgmtCertError, match='does not belong to the key'):
        mc.run_mgmtcert(dict(PARAMS, state='imported', path=zone, certificate=leaf, ca_chain=root))
    with pytest.raises(mc.MgmtCertError, match='state=csr first'):
        mc.run_mgmtcert(dict(PARAMS, state='imported', path=str(tmp_path / 'empty'), certificate=leaf))


def test_absent_keeps_the_ca_unless_asked(tmp_path):
    params = dict(PARAMS, path=str(tmp_path))
    mc.run_mgmtcert(params)
    gone = mc.run_mgmtcert(dict(params, state='absent'))
    assert sorted(gone['removed']) == ['mgmt-chain.pem', 'mgmt.crt', 'mgmt.key']
    assert os.path.exists(tmp_path / 'ca.key')
    assert not mc.run_mgmtcert(dict(params, state='absent'))['changed']
    assert sorted(mc.run_mgmtcert(dict(params, state='absent', remove_ca=True))['removed']) == ['ca.crt', 'ca.key']


def test_write_atomic_leaves_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / 'f'
    write_atomic(str(target), b'old', 0o600)

    def broken_rename(src, dst):
        raise OSError('disk full')
    monkeypatch.setattr(os, 'rename', broken_rename)
    with pytest.raises(OSError):
        write_atomic(str(target), b'new', 0o600)
    assert target.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['f']


def test_fat_image_is_read_by_an_independent_fat_implementation(tmp_path):
    fs = pytest.importorskip('pyfatfs.PyFat')
    data = build_file([{'current_password': 'admin', 'new_password': 'P@ssw0rd!'}])
    part = tmp_path / 'part.img'
    part.write_bytes(build_partition(data))
    from pyfatfs.PyFatFS import PyFatFS
    volume = PyFatFS(str(part))
    try:
        assert volume.listdir('/') == ['SETUP.BIN']
        with volume.openbin('/SETUP.BIN') as fh:
            assert fh.read() == data
    finally:
        volume.close()
    assert fs is not None
    image = build_image(data)
    assert image[510:512] == b'\x55\xaa' and image[446 + 4] == 0x0E
    assert image[2048 * 512:] == build_partition(data)
    assert build_image(data) == image  # reproducible


def test_usb_device_guard_refuses_non_block_devices(tmp_path):
    with pytest.raises(FatImageError, match='not a block device'):
        check_usb_device(str(tmp_path), 64)
    with pytest.raises(FatImageError, match='No such file'):
        check_usb_device(str(tmp_path / 'missing'), 64)


class FakeTable(object):
    def __init__(self, entries, refuse=False):
        self.entries = entries
        self.calls = []
        self.refuse = refuse

    def enumerate(self, cls):
        self.calls.append('enumerate')
        return [dict(e) for e in self.entries]

    def create(self, cls, instance):
        self.calls.append(('create', instance['Description']))
        if self.refuse:
            from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanFault
            raise WsmanFault('Access denied', subcode='wsman:AccessDenied', status=400)
        self.entries.append(dict(instance, InstanceID='new', IsDefault=False))

    def put(self, cls, instance, selectors):
        self.calls.append(('put', instance['Enabled'], sorted(instance)))
        for e in self.entries:
            if e['InstanceID'] == selectors['InstanceID']:
                e['Enabled'] = instance['Enabled']

    def delete(self, cls, selectors):
        self.calls.append(('delete', selectors['InstanceID']))
        self.entries = [e for e in self.entries if e['InstanceID'] != selectors['InstanceID']]


def _entry(iid, digest, default, enabled=True):
    import base64
    return {'InstanceID': iid, 'Description': iid, 'HashType': 2, 'Enabled': enabled, 'IsDefault': default,
            'HashData': base64.b64encode(bytes.fromhex(digest)).decode()}


def test_hash_table_convergence():
    table = FakeTable([_entry('f1', 'aa' * 32, True)])
    params = {'state': 'present', 'hash': 'bb' * 32, 'algorithm': 'sha256', 'name': 'Zone'}
    assert run_hash(table, params, check_mode=True)['changed'] and table.calls == ['enumerate']
    assert run_hash(table, params)['changed']
    assert not run_hash(table, params)['changed']
    assert run_hash(table, dict(params, state='disabled'))['changed']
    assert ('put', False, ['Description', 'Enabled', 'HashData', 'HashType', 'InstanceID', 'IsDefault']) in table.calls
    assert run_hash(table, dict(params, state='absent'))['changed']
    assert not run_hash(table, dict(params, state='absent'))['changed']
    with pytest.raises(HashError, match='factory'):
        run_hash(table, dict(params, state='absent', hash='aa' * 32))


def test_hash_table_full_and_usb_only():
    full = FakeTable([_entry('c%d' % i, ('%02x' % i) * 32, False) for i in range(3)])
    with pytest.raises(HashError, match='already holds 3 custom hashes'):
        run_hash(full, {'state': 'present', 'hash': 'bb' * 32, 'algorithm': 'sha256', 'name': 'x'})
    refusing = FakeTable([], refuse=True)
    with pytest.raises(HashError, match='amt_usb_setupbin'):
        run_hash(refusing, {'state': 'present', 'hash': 'bb' * 32, 'algorithm': 'sha256', 'name': 'x'})
