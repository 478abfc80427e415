"""The device-module runner (device.execute): one error path, one warning wording, input refused before contact."""
from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation
from ansible_collections.oob.amt.plugins.module_utils.device import PLAINTEXT_WARNING, argument_spec, execute
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanAuthError

BASE = {'host': '192.0.2.7', 'port': None, 'use_tls': True, 'username': 'admin', 'password': 'x', 'validate_certs': True,
        'ca_path': None, 'client_cert': None, 'client_key': None, 'ciphers': None, 'min_tls_version': None,
        'cert_fingerprint': None, 'timeout': 30, 'what': 'thing'}


def _op(run, **kwargs):
    return Operation({'what': dict(type='str')}, run, name=lambda p: 'frobnicate %s' % p['what'], **kwargs)


def test_argument_spec_is_connection_options_plus_the_operations():
    spec = argument_spec(_op(lambda *a, **k: {}))
    assert 'what' in spec and 'host' in spec and spec['password']['no_log'] is True


def test_success_keeps_the_result_and_adds_exchanges():
    seen = []

    def run(client, params, check_mode=False, diff=False):
        seen.append((client.host, check_mode, diff))
        return {'changed': True}
    result, warnings = execute(_op(run), BASE, check_mode=True, diff=True)
    assert result == {'changed': True, 'exchanges': 0} and warnings == [] and seen == [('192.0.2.7', True, True)]


def test_amt_error_names_device_and_operation_with_details():
    def run(client, params, check_mode=False, diff=False):
        raise AmtError('the device said no', return_value=2)
    result, _exchanges = execute(_op(run), BASE)
    assert result['failed'] and result['msg'] == 'AMT device 192.0.2.7: frobnicate thing: the device said no'
    assert result['return_value'] == 2 and result['exchanges'] == 0


def test_amt_error_with_its_own_step_and_on_failure_extras():
    def run(client, params, check_mode=False, diff=False):
        raise AmtError('no MEI device', operation='reading the local system account')
    op = _op(run, own_clients=True, target=lambda p: 'lms', on_failure=lambda p, c: ({'forgotten_in': []}, ['w']))
    result, warnings = execute(op, dict(BASE, host=None))
    assert result['msg'] == 'AMT device lms: reading the local system account: no MEI device'
    assert result['forgotten_in'] == [] and warnings == ['w'] and 'exchanges' not in result


def test_wsman_error_goes_through_error_result_with_the_operation():
    def run(client, params, check_mode=False, diff=False):
        raise WsmanAuthError('authentication failed', host='192.0.2.7')
    result, _exchanges = execute(_op(run), BASE)
    assert result['failed'] and '192.0.2.7' in result['msg'] and 'frobnicate thing' in result['msg']


def test_bad_input_is_reported_as_is_before_any_client():
    calls = []

    def prepare(params):
        raise AmtError('option what: not a thing')
    result, _exchanges = execute(_op(lambda *a, **k: calls.append(1), prepare=prepare), BASE)
    assert result == {'failed': True, 'msg': 'option what: not a thing'} and calls == []
    result, _exchanges = execute(_op(lambda *a, **k: calls.append(1)), dict(BASE, host=None))
    assert result['msg'].startswith('option host is required') and calls == []


def test_one_plaintext_warning_and_no_client_when_not_needed():
    result, warnings = execute(_op(lambda c, p, **k: {'changed': False}), dict(BASE, use_tls=False))
    assert warnings == [PLAINTEXT_WARNING % 16992]
    result, warnings = execute(_op(lambda c, p, **k: {'client': c}, needs_device=lambda p: False), dict(BASE, host=None))
    assert result == {'client': None} and warnings == []
