"""Digest challenge parsing (AMT quirks) and response computation."""
import hashlib

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.oob.amt.plugins.module_utils.wsman.digest import (
    DigestAuth, DigestChallengeError, parse_challenge)

CAPTURED = 'Digest realm="Digest:727734D63A1FC0423736E48DA554E462", nonce="B9AX94iAAAAAAAAAx6rrSfPHGUrx/3uA",stale="false",qop="auth"'
TWO_QOP = 'Digest realm="Digest:2517B2332AFD88353D5F5FD352697901", nonce="QYePBLMVAAAAAAAAjfXveceOM5bNfu/K",stale="false",qop="auth-int, auth"'


def test_captured_challenge():
    ch = parse_challenge(CAPTURED)
    assert ch['realm'] == 'Digest:727734D63A1FC0423736E48DA554E462'
    assert ch['nonce'] == 'B9AX94iAAAAAAAAAx6rrSfPHGUrx/3uA'
    assert ch['qop'] == ['auth'] and ch['stale'] is False


def test_two_qop_variant_is_a_list():
    ch = parse_challenge(TWO_QOP)
    assert ch['qop'] == ['auth-int', 'auth']
    assert ch['realm'] == 'Digest:2517B2332AFD88353D5F5FD352697901'


def test_stale_true():
    assert parse_challenge(CAPTURED.replace('stale="false"', 'stale="true"'))['stale'] is True


@pytest.mark.parametrize('bad', [None, 'Basic realm="x"', 'Digest realm="x"', 'Digest nonce="n"', 'Digest realm="x, nonce="n',
                                 'Digest realm="r", nonce="n", algorithm=SHA-512-sess'])
def test_bad_challenges(bad):
    with pytest.raises(DigestChallengeError):
        parse_challenge(bad)


def test_response_matches_rfc2617_formula_and_nc_increments():
    auth = DigestAuth('admin', 'P@ssw0rd')
    auth.set_challenge(parse_challenge(TWO_QOP))
    first = auth.authorization('POST', '/wsman', cnonce='abc')
    second = auth.authorization('POST', '/wsman', cnonce='abc')
    assert 'nc=00000001' in first and 'nc=00000002' in second and 'qop="auth"' in first
    ha1 = hashlib.md5(b'admin:Digest:2517B2332AFD88353D5F5FD352697901:P@ssw0rd').hexdigest()
    ha2 = hashlib.md5(b'POST:/wsman').hexdigest()
    expected = hashlib.md5(('%s:QYePBLMVAAAAAAAAjfXveceOM5bNfu/K:00000001:abc:auth:%s' % (ha1, ha2)).encode()).hexdigest()
    assert 'response="%s"' % expected in first
    assert 'P@ssw0rd' not in first and 'P@ssw0rd' not in repr(auth)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_parser_only_raises_its_own_error(text):
    try:
        parse_challenge('Digest ' + text)
    except DigestChallengeError:
        pass
