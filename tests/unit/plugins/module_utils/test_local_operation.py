"""The decisions around LocalAccess that need no device: which account a module uses on the host-local interface
(local_access.local_account_or_admin), what local_operation adds to an operation, and amt_provision's choice for
ACM where the firmware enforces TLS locally: Secure Host-Based Configuration from pre-provisioning
(amt/provisioning.uses_secure_hbc), a refusal before any change for CCM -> ACM
(provision._refuse_upgrade_without_admin_setup)."""
import pytest

from ansible_collections.oob.amt.plugins.module_utils import provision
from ansible_collections.oob.amt.plugins.module_utils.amt.hashes import OPERATION as HASHES
from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError
from ansible_collections.oob.amt.plugins.module_utils.host.heci import MEIError
from ansible_collections.oob.amt.plugins.module_utils.local_access import local_account_or_admin, local_operation


class FakeAccess(object):
    def __init__(self, mode, account=('$$OsAdmin', 'l0cal'), tls_enforced=None):
        self.mode = mode
        self.account = account
        self.state = None if tls_enforced is None else {'tls_enforced_local': tls_enforced, 'amt_enabled': True}

    def control_mode(self):
        return self.mode

    def local_account(self):
        if isinstance(self.account, Exception):
            raise self.account
        return self.account


@pytest.mark.parametrize('mode,given,password,expected', [
    (0, {}, 'Adm1n!pw', ('$$OsAdmin', 'l0cal')),                 # not activated: the local account, always
    (1, {}, 'Adm1n!pw', ('admin', 'Adm1n!pw')),                  # CCM (or in provisioning): admin
    (2, {'local_username': 'u', 'local_password': 'p'}, 'Adm1n!pw', ('admin', 'Adm1n!pw')),
    (None, {'local_username': 'u', 'local_password': 'p'}, 'Adm1n!pw', ('$$OsAdmin', 'l0cal')),   # no MEI, given
    (None, {}, 'Adm1n!pw', ('admin', 'Adm1n!pw')),               # no MEI, nothing local given: admin
])
def test_account_follows_the_control_mode(mode, given, password, expected):
    params = dict(given, password=password, username='admin')
    assert local_account_or_admin(params, FakeAccess(mode)) == expected


def test_activated_device_without_password_names_the_option():
    with pytest.raises(AmtError) as err:
        local_account_or_admin({'password': None, 'username': 'admin'}, FakeAccess(2))
    assert 'give password' in err.value.msg and 'control mode 2' in err.value.msg


def test_unreadable_local_account_names_the_fix():
    with pytest.raises(AmtError) as err:
        local_account_or_admin({'password': None}, FakeAccess(0, account=MEIError('no /dev/mei0')))
    assert 'local_username' in err.value.msg and 'become' in err.value.msg


def test_local_operation_adds_the_local_options_and_keeps_the_controller_side_path():
    op = local_operation(HASHES)
    for option in ('interface', 'lms_host', 'lms_port', 'lms_tls_port', 'local_transport', 'local_tls', 'mei_device',
                   'local_username', 'local_password'):
        assert option in op.options
    assert op.options['local_password'].get('no_log') is True and op.options['interface']['default'] == 'network'
    # on a local connection without become the worker is on the host whose MEI/LMS it speaks to
    assert op.controller_side({'interface': 'local'}) is True
    assert op.controller_side({'interface': 'network'}) is True
    assert op.needs_device({'interface': 'local', 'host': None}) is False
    assert op.needs_device({'interface': 'network', 'host': '10.0.0.5'}) is True
    with pytest.raises(ValueError):
        op.prepare({'interface': 'local', 'lms_port': 0, 'lms_tls_port': 16993})


@pytest.mark.parametrize('mode_option,tls,control,outcome', [
    ('acm', True, 0, 'hbc'),                                     # CSME 19 activation: Secure Host-Based Configuration
    ('enterprise', True, 1, 'refused'),                          # CSME 19 CCM -> ACM: UpgradeClientToAdmin removed
    ('acm', True, 2, 'usual'),                                   # already ACM: converge as usual
    ('acm', False, 0, 'usual'), ('acm', None, 0, 'usual'),        # flag clear or unknown: AdminSetup is tried
    ('ccm', True, 0, 'usual'),                                   # CCM works there
])
def test_acm_flow_where_tls_is_enforced_locally(mode_option, tls, control, outcome):
    from ansible_collections.oob.amt.plugins.module_utils.amt import provisioning
    params = {'state': 'present', 'mode': mode_option}
    access = FakeAccess(control, tls_enforced=tls)
    access.mei_available = True
    if outcome == 'refused':
        with pytest.raises(AmtError) as err:
            provision._refuse_upgrade_without_admin_setup(params, access)
        assert 'UpgradeClientToAdmin' in err.value.msg and 'Nothing was changed' in err.value.msg
        assert err.value.details['refusal'] == 'upgrade_client_to_admin_removed'
        return
    provision._refuse_upgrade_without_admin_setup(params, access)
    mode = provisioning.mode_for(mode_option)
    chosen = provisioning.uses_secure_hbc(mode, provision.SecureHostBased(access))
    # the choice applies to activation only: a device already in ACM (control 2) is converged before it matters
    assert chosen is (outcome == 'hbc' or (control == 2 and bool(tls)))
