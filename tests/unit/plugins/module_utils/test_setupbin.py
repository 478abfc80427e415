"""setup.bin codec: conformance with the real and project-made files and derived vectors in tests/fixtures/setupbin,
validation rules, and a fuzzed decoder."""
import json
import os
import struct

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.oob.amt.plugins.module_utils.amt.password import check_password
from ansible_collections.oob.amt.plugins.module_utils.formats import setupbin as sb


def _captured(fixtures_dir):
    """{file path: expected decoding} for the real file (captured/) and the two made to the real ACU and
    MeshCommander layouts (own/; see tests/fixtures/SOURCES.md)."""
    expected = {}
    for sub in ('captured', 'own'):
        base = os.path.join(fixtures_dir, 'setupbin', sub)
        with open(os.path.join(base, 'expected-decoded.json')) as fh:
            expected.update((os.path.join(base, k), v) for k, v in json.load(fh).items() if k.endswith('.bin'))
    return expected


def test_decoder_reads_captured_files_as_expected(fixtures_dir):
    expected = _captured(fixtures_dir)
    assert len(expected) == 3
    for name, want in expected.items():
        with open(name, 'rb') as fh:
            info = sb.decode_file(fh.read())
        for field in ('record_chunk_count', 'header_bytes', 'record_number', 'major', 'minor', 'file_flags',
                      'data_record_count', 'data_records_consumed', 'data_record_chunk_count', 'module_list', 'size'):
            assert info[field] == want[field], (name, field)
        assert [r['flags'] for r in info['records']] == [r['flags'] for r in want['records']]
        got = [(m, v, value.hex()) for m, v, value in info['records'][0]['entries']]
        assert got == [(e['module'], e['variable'], e['value_hex']) for e in want['records'][0]['entries_descrambled']]


def test_encoder_rebuilds_captured_files_byte_for_byte(fixtures_dir):
    expected = _captured(fixtures_dir)
    for name, want in expected.items():
        with open(name, 'rb') as fh:
            original = fh.read()
        record = want['records'][0]
        entries = [(e['module'], e['variable'], bytes.fromhex(e['value_hex'])) for e in record['entries_descrambled']]
        version = {(4, 0): '4', (3, 0): '3'}[(want['major'], want['minor'])]
        rebuilt = sb.encode_file([entries], version, consume=not want['file_flags'] & 1,
                                 scrambled=bool(record['flags'] & 2), module_list=want['module_list'],
                                 header_bytes=want['header_bytes'])
        assert rebuilt == original, name


def test_captured_hash_entry_is_sha256_of_ca_der(fixtures_dir):
    from cryptography import x509
    from ansible_collections.oob.amt.plugins.module_utils.formats.certs import certificate_hashes
    base = os.path.join(fixtures_dir, 'setupbin', 'captured')
    with open(os.path.join(base, 'jclab-intel-vpro-hbased-problem-01_ca.crt'), 'rb') as fh:
        cert = x509.load_pem_x509_certificate(fh.read())
    with open(os.path.join(base, 'jclab-intel-vpro-hbased-problem-01_setup.bin'), 'rb') as fh:
        report = sb.describe_file(sb.decode_file(fh.read()))
    (entry,) = report['records'][0]['settings']['trusted_hashes']
    assert entry == {'algorithm': 'sha256', 'name': 'AMT Test CA', 'hash': certificate_hashes(cert)['sha256']['hex']}


def _settings_from_inputs(inputs):
    s = {'current_password': inputs['current_password'], 'new_password': inputs['new_password'],
         'manageability_selection': inputs.get('manageability_feature_selection'),
         'pki_dns_suffix': inputs.get('pki_dns_suffix'), 'provisioning_server_fqdn': inputs.get('config_server_fqdn'),
         'ztc': inputs.get('ztc'), 'provisioning_server_address': inputs.get('provisioning_server_ipv4'),
         'provisioning_server_port': inputs.get('provisioning_server_port'),
         'start_configuration': inputs.get('me_provision_halt_activate')}
    if 'cert_hash_hex' in inputs:
        s['trusted_hashes'] = [{'algorithm': inputs['cert_hash_algorithm'], 'hash': inputs['cert_hash_hex'],
                                'name': inputs['cert_friendly_name']}]
    return s


def test_named_settings_build_the_derived_vectors(fixtures_dir):
    base = os.path.join(fixtures_dir, 'setupbin', 'derived')
    with open(os.path.join(base, 'inputs.json')) as fh:
        vectors = dict((k, v) for k, v in json.load(fh).items() if k.endswith('.bin'))
    assert len(vectors) == 4
    for name, vector in vectors.items():
        inputs = vector['inputs']
        data = sb.build_file([_settings_from_inputs(inputs)], {'4.0': '4', '3.0': '3'}[inputs['version']],
                             consume=inputs['consume'], scramble=inputs['scrambled'])
        with open(os.path.join(base, name), 'rb') as fh:
            assert data == fh.read(), name


def test_worked_example_bytes_by_hand():
    # reference §10, written out from the spec text rather than from a file
    data = sb.build_file([{'current_password': 'admin', 'new_password': 'P@ssw0rd!'}])
    assert len(data) == 1024
    assert data[:16].hex() == 'aaa93452e129a9448d4d081c07b96353'
    assert data[0x10:0x30].hex() == '01002c000000000004000100010000000000000001000000010000000000' + '0000'
    assert data[0x200:0x218].hex() == '01000000010000000000000000000000010018000100000' + '0'
    assert data[0x218:0x23c] == (b'\x01\x00\x01\x00\x05\x00\x00\x00admin\x00\x00\x00'
                                 b'\x01\x00\x02\x00\x09\x00\x00\x00P@ssw0rd!\x00\x00\x00')
    assert data[0x23c:] == b'\0' * (1024 - 0x23c)


def test_scrambled_record_adds_0x11_and_reads_back():
    plain = sb.build_file([{'current_password': 'admin', 'new_password': 'P@ssw0rd!'}])
    scrambled = sb.build_file([{'current_password': 'admin', 'new_password': 'P@ssw0rd!'}], scramble=True)
    assert scrambled[:512] == plain[:512]
    assert struct.unpack_from('<I', scrambled, 0x204)[0] == 3
    assert all((p + 0x11) & 0xFF == s for p, s in zip(plain[0x218:], scrambled[0x218:]))
    assert sb.decode_file(scrambled)['records'][0]['entries'] == sb.decode_file(plain)['records'][0]['entries']


def test_several_records_one_per_device():
    data = sb.build_file([{'current_password': 'admin', 'new_password': 'Dev1-Pass!'},
                          {'current_password': 'admin', 'new_password': 'Dev2-Pass!'}], consume=True)
    info = sb.decode_file(data)
    assert len(data) == 512 * 3 and info['data_record_count'] == 2 and info['consume']
    assert [r['number'] for r in info['records']] == [1, 2]


def test_report_never_contains_passwords():
    data = sb.build_file([{'current_password': 'Old-Pass1!', 'new_password': 'S3cret-New!'}])
    text = json.dumps(sb.describe_file(sb.decode_file(data)))
    assert 'S3cret-New!' not in text and 'Old-Pass1!' not in text
    assert '"length": 11' in text


@pytest.mark.parametrize('settings, version, message', [
    ({'current_password': 'admin'}, '4', 'new_password is required'),
    ({'current_password': 'admin', 'new_password': 'short'}, '4', 'password rules'),
    ({'current_password': 'admin', 'new_password': 'Has:colon1A'}, '4', "must not contain ':'"),
    ({'current_password': 'x' * 33, 'new_password': 'P@ssw0rd!'}, '4', 'current_password must be 1 to 32'),
    ({'current_password': 'admin', 'new_password': 'P@ssw0rd!', 'pki_dns_suffix': 'é.example'}, '4', 'ASCII'),
    ({'current_password': 'admin', 'new_password': 'P@ssw0rd!',
      'trusted_hashes': [{'algorithm': 'sha256', 'hash': 'ab' * 32, 'name': 'n'}]}, '2.1', 'need version 3'),
    ({'current_password': 'admin', 'new_password': 'P@ssw0rd!',
      'trusted_hashes': [{'algorithm': 'sha256', 'hash': 'ab' * 20, 'name': 'n'}]}, '4', 'has 32 bytes'),
    ({'current_password': 'admin', 'new_password': 'P@ssw0rd!',
      'trusted_hashes': [{'algorithm': 'sha1', 'hash': 'ab' * 20, 'name': 'n' * 32}]}, '4', '1 to 31'),
    ({'current_password': 'admin', 'new_password': 'P@ssw0rd!',
      'trusted_hashes': [{'algorithm': 'sha1', 'hash': 'ab' * 20, 'name': 'n%d' % i} for i in range(4)]}, '4', 'at most 3'),
    ({'current_password': 'admin', 'new_password': 'P@ssw0rd!', 'pki_dns_suffix': 'a.b'}, '1', 'passwords only'),
    ({'current_password': 'admin', 'new_password': 'P@ssw0rd!', 'provisioning_server_port': 9971}, '2.0', 'use 2.1'),
    ({'current_password': 'admin', 'new_password': 'P@ssw0rd!', 'provisioning_server_address': '10.0.0.300'}, '4',
     'not an IPv4'),
    ({'current_password': 'admin', 'new_password': 'P@ssw0rd!', 'provisioning_server_fqdn': 'a' * 200,
      'pki_dns_suffix': 'b' * 200, 'trusted_hashes': [{'algorithm': 'sha384', 'hash': 'ab' * 48, 'name': 'n' * 31}]},
     '4', 'a record holds 488'),
])
def test_bad_settings_are_refused_with_the_option_named(settings, version, message):
    with pytest.raises(sb.SetupBinError) as err:
        sb.build_file([settings], version, consume=version == '1', password_rules=check_password)
    assert message in str(err.value)
    for secret in (settings.get('current_password'), settings.get('new_password')):
        if secret and secret != 'admin':
            assert secret not in str(err.value)


def test_version_rules():
    with pytest.raises(sb.SetupBinError, match='version 4 files only'):
        sb.build_file([{'current_password': 'admin', 'new_password': 'P@ssw0rd!'}], '3', scramble=True)
    with pytest.raises(sb.SetupBinError, match='always consumed'):
        sb.build_file([{'current_password': 'admin', 'new_password': 'P@ssw0rd!'}], '1')
    for version in ('1', '2.0', '2.1', '3', '4'):
        data = sb.build_file([{'current_password': 'admin', 'new_password': 'P@ssw0rd!'}], version, consume=True)
        assert sb.decode_file(data)['version'] == version


def test_ipv6_and_port_encoding():
    entries = sb.record_entries({'current_password': 'admin', 'new_password': 'P@ssw0rd!',
                                 'provisioning_server_address': 'fd00::1', 'provisioning_server_port': 9971}, '4')
    values = dict(((m, v), value) for m, v, value in entries)
    assert values[(2, 17)] == bytes.fromhex('fd000000000000000000000000000001')[::-1]
    assert values[(2, 18)] == b'\xf3\x26'


def test_decoder_rejects_broken_files():
    good = sb.build_file([{'current_password': 'admin', 'new_password': 'P@ssw0rd!'}])
    with pytest.raises(sb.SetupBinError, match='not a setup.bin'):
        sb.decode_file(b'\0' * 100)
    with pytest.raises(sb.SetupBinError, match='does not match the header'):
        sb.decode_file(good + b'\0' * 512)
    with pytest.raises(sb.SetupBinError, match='file type'):
        sb.decode_file(b'\x01' + good[1:])
    bad = bytearray(good)
    struct.pack_into('<I', bad, 0x20, 5)
    with pytest.raises(sb.SetupBinError, match='consumed'):
        sb.decode_file(bytes(bad))


def test_warnings_for_entries_current_mebx_rejects():
    data = sb.encode_file([[(1, 1, b'admin'), (2, 29, b'\x01'), (2, 14, b'\x00'), (2, 10, b'\x07')]])
    warnings = sb.describe_file(sb.decode_file(data))['records'][0]['warnings']
    assert any('manual setup' in w for w in warnings)
    assert any('2/14 is reserved' in w for w in warnings)
    assert any('key press' in w for w in warnings)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=2048))
def test_fuzz_decoder_raises_only_its_own_error(data):
    try:
        sb.describe_file(sb.decode_file(data))
    except sb.SetupBinError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 2), st.integers(1, 40), st.binary(max_size=40)), max_size=8),
       st.booleans())
def test_fuzz_encoded_records_decode_to_the_same_entries(entries, scrambled):
    data = sb.encode_file([entries], scrambled=scrambled)
    decoded = sb.decode_file(data)['records'][0]['entries']
    assert decoded == sorted(entries, key=lambda e: (e[0], e[1]))
