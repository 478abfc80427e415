"""Connection option checks and info helpers."""
import pytest

from ansible_collections.oob.amt.plugins.module_utils.device import (
    CONNECTION_ARGSPEC, check_connection_params, client_from_params, error_result)
from ansible_collections.oob.amt.plugins.module_utils.amt.info import run_info, uuid_from_platform_guid
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanAuthError


def params(**kw):
    base = dict((k, v.get('default')) for k, v in CONNECTION_ARGSPEC.items())
    base.update(host='10.0.0.1', password='x')
    base.update(kw)
    return base


@pytest.mark.parametrize('kw,fragment', [
    ({'host': None}, 'host is required'), ({'port': 70000}, 'port must be between'), ({'port': 0}, 'port must be'),
    ({'timeout': 0}, 'timeout must be'), ({'client_cert': '/etc/hostname'}, 'given together'),
    ({'ca_path': '/nonexistent/ca.pem'}, 'cannot read'), ({'cert_fingerprint': 'abc'}, 'cert_fingerprint'),
])
def test_bad_connection_options(kw, fragment):
    with pytest.raises(ValueError, match=fragment):
        check_connection_params(params(**kw))


def test_client_defaults():
    c = client_from_params(params())
    assert c.port == 16993 and c.use_tls and c.username == 'admin'
    c = client_from_params(params(use_tls=False))
    assert c.port == 16992


def test_password_is_no_log():
    assert CONNECTION_ARGSPEC['password']['no_log'] is True
    assert CONNECTION_ARGSPEC['client_key']['no_log'] is False


def test_error_result_names_host_operation_and_fix():
    err = WsmanAuthError('authentication failed for user admin', host='10.0.0.9')
    res = error_result(err, 'power on')
    assert res['failed'] and '10.0.0.9' in res['msg'] and 'power on' in res['msg'] and 'password' in res['msg']
    assert res['error'] == 'WsmanAuthError'


def test_uuid_from_platform_guid():
    # byte-order vector from the protocol reference (§5.2.6)
    assert uuid_from_platform_guid('13AEE355D2BFBB6117A088AEDD7037EA') == '55e3ae13-bfd2-61bb-17a0-88aedd7037ea'
    assert uuid_from_platform_guid('zz') is None


class FakeClient:
    host = '10.0.0.5'
    exchanges = 0

    def __init__(self):
        self.calls = []

    def enumerate(self, cls):
        self.calls.append(cls)
        return [{'_class': 'CIM_AssociatedPowerManagementService', 'PowerState': 8, 'AvailableRequestedPowerStates': [2]}]


def test_run_info_power_subset_one_enumerate():
    client = FakeClient()
    result = run_info(client, {'gather': ['power']})
    assert client.calls == ['CIM_ServiceAvailableToElement']
    assert result['amt_info']['power'] == {'state': 'off', 'state_value': 8, 'available_states': ['on'],
                                           'available_state_values': [2]}
    assert result['changed'] is False
