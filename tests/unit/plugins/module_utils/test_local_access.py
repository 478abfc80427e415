"""LocalAccess decisions (plugins/module_utils/local_access.py) against the simulator's MEI stand-in:
TLS when the firmware enforces it, APF when no LMS listens, AMT enabled over MEI, the local certificate pinned."""
import pytest

from ansible_collections.oob.amt.plugins.module_utils.local_access import LocalAccess, LocalAccessError
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import WsmanTLSError


@pytest.fixture(scope='module')
def fleet():
    from tests.simulator.harness import Simulator, pick_first_address
    first = pick_first_address()
    base = first.rsplit('.', 1)[0]
    addr = ['%s.%d' % (base, i) for i in range(1, 5)]
    spec = {'devices': {addr[0]: {'amt_version': '19.0.5.1234'}, addr[1]: {'lms': False},
                        addr[2]: {'amt_enabled': False}, addr[3]: {'lms': False}}}
    with Simulator(devices=4, mode='pre', first_address=first, fleet_spec=spec, extra_args=['--mei']) as sim:
        yield sim


def params(sim, addr, **kw):
    p = {'lms_host': addr, 'lms_port': 16990, 'lms_tls_port': 16991, 'mei_device': sim.mei_path(addr),
         'local_transport': 'auto', 'local_tls': 'auto', 'timeout': 10}
    p.update(kw)
    return p


def test_tls_enforced_goes_to_the_tls_port_and_pins(fleet):
    addr = fleet.addresses[0]
    access = LocalAccess(params(fleet, addr))
    try:
        facts = access.prepare()
        assert facts['tls'] and facts['path'] == 'lms' and facts['tls_enforced_local']
        user, password = access.local_account()
        assert (user, password) == (fleet.state(addr)['local_username'], fleet.state(addr)['local_password'])
        c = access.client(user, password)
        assert c.get('AMT_GeneralSettings')['DigestRealm'] == fleet.state(addr)['realm']
        pinned = access.facts()['certificate_sha256']
        assert pinned and len(pinned) == 64
        c2 = access.client(user, password)
        assert c2.transport.cert_fingerprint == pinned       # later connections of the run pin the first cert
        assert c2.get('IPS_HostBasedSetupService')['CurrentControlMode'] == 0
    finally:
        access.close()


def test_pinned_certificate_change_fails(fleet):
    addr = fleet.addresses[0]
    access = LocalAccess(params(fleet, addr))
    try:
        access.prepare()
        access.pinned = 'ab' * 32                      # as if another certificate had been seen first this run
        user, password = access.local_account()
        with pytest.raises(WsmanTLSError):
            access.client(user, password).get('AMT_GeneralSettings')
    finally:
        access.close()


def test_no_lms_uses_mei(fleet):
    addr = fleet.addresses[1]
    access = LocalAccess(params(fleet, addr))
    try:
        facts = access.prepare()
        assert facts['path'] == 'mei' and facts['tls'] is False
        c = access.client(*access.local_account())
        assert c.get('AMT_SetupAndConfigurationService')['ProvisioningState'] == 0
        assert access.control_mode() == 0
    finally:
        access.close()


def test_no_lms_and_no_mei_is_a_clear_error(fleet):
    addr = fleet.addresses[3]
    access = LocalAccess(params(fleet, addr, mei_device='/nonexistent/mei0'))
    with pytest.raises(LocalAccessError, match=r'nothing listens on .*\(no Local Manageability Service\)'):
        access.prepare()


def test_forced_choices(fleet):
    addr = fleet.addresses[1]
    access = LocalAccess(params(fleet, addr, local_tls='always'))
    try:
        facts = access.prepare()
        assert facts['tls'] and facts['path'] == 'mei'
        assert access.client(*access.local_account()).get('AMT_GeneralSettings')
    finally:
        access.close()


def test_disabled_amt_enabled_once_and_check_mode_only_reports(fleet):
    addr = fleet.addresses[2]
    access = LocalAccess(params(fleet, addr))
    facts = access.prepare(check_mode=True)
    assert access.actions and access.enabled_amt and facts['amt_enabled_before'] is False
    assert fleet.state(addr)['amt_enabled'] is False
    access.close()
    access = LocalAccess(params(fleet, addr), sleep=lambda s: None)
    try:
        facts = access.prepare()
        assert facts['amt_enabled_before'] is False and facts['path'] == 'lms'
        assert fleet.state(addr)['amt_enabled'] is True
        assert access.client(*access.local_account()).get('AMT_GeneralSettings')
    finally:
        access.close()
    access = LocalAccess(params(fleet, addr))
    assert access.prepare()['amt_enabled_before'] is True and not access.actions
    access.close()


def test_probe_counts_a_reset_after_the_handshake_as_a_listener(monkeypatch):
    """CSME 19's LMS accepts a plain connection and drops it at once; on a busy host that reset reaches the socket
    before connect() returns (ConnectionResetError), and the probe must not report 'nothing listens'."""
    from ansible_collections.oob.amt.plugins.module_utils import local_access
    calls = []

    def reset(address, timeout):
        calls.append(address)
        raise ConnectionResetError(104, 'Connection reset by peer')
    monkeypatch.setattr(local_access.socket, 'create_connection', reset)
    assert local_access._listening('127.0.0.1', 16990) is True
    assert len(calls) == 1


def test_probe_refused_on_every_attempt_is_nothing_listening(monkeypatch):
    from ansible_collections.oob.amt.plugins.module_utils import local_access
    calls = []

    def refused(address, timeout):
        calls.append(address)
        raise ConnectionRefusedError(111, 'Connection refused')
    monkeypatch.setattr(local_access.socket, 'create_connection', refused)
    monkeypatch.setattr(local_access.time, 'sleep', lambda seconds: None)
    assert local_access._listening('127.0.0.1', 16990, attempts=3) is False
    assert len(calls) == 3
