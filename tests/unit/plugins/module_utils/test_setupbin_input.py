"""setup.bin input (issue 13): strings with NUL, newlines or other control characters are refused (the value never
shown), and amt_usb_setupbin never replaces an existing usb_image without force (backup keeps a copy)."""
import os

import pytest

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError
from ansible_collections.oob.amt.plugins.module_utils.formats import setupbin as sb
from ansible_collections.oob.amt.plugins.module_utils.usb_setup import OPTIONS, run_setupbin

GOOD = {'current_password': 'admin', 'new_password': 'P@ssw0rd!'}


@pytest.mark.parametrize('option, value', [
    ('current_password', 'adm\x00in'), ('current_password', 'admin\n'), ('new_password', 'P@ss\x00w0rd!'),
    ('new_password', 'P@ssw0rd!\r\n'), ('pki_dns_suffix', 'corp.example\x00.com'), ('pki_dns_suffix', 'a\nb.example'),
    ('provisioning_server_fqdn', 'rcs.example\x7f'), ('provisioning_server_fqdn', 'rcs\t.example'),
])
def test_control_characters_in_strings_are_refused_naming_the_option(option, value):
    settings = dict(GOOD, **{option: value})
    with pytest.raises(sb.SetupBinError) as err:
        sb.build_file([settings], '4', password_rules=None)
    assert option in str(err.value) and 'control character' in str(err.value)
    assert value not in str(err.value)
    if 'password' in option:
        assert value.replace('\x00', '').strip() not in str(err.value)


def test_control_characters_in_a_hash_name_are_refused():
    settings = dict(GOOD, trusted_hashes=[{'algorithm': 'sha256', 'hash': 'ab' * 32, 'name': 'Corp\x00Root'}])
    with pytest.raises(sb.SetupBinError, match='trusted_hashes.name contains a control character'):
        sb.build_file([settings], '4')


def _params(tmp_path, **kw):
    params = dict((k, v.get('default')) for k, v in OPTIONS.items())
    params.update(path=str(tmp_path / 'setup.bin'), current_password='admin', new_password='P@ssw0rd!',
                  usb_image=str(tmp_path / 'stick.img'))
    params.update(kw)
    return params


def test_existing_usb_image_is_never_overwritten_without_force(tmp_path):
    image = tmp_path / 'stick.img'
    image.write_bytes(b'someone else\'s disk image')
    with pytest.raises(AmtError) as err:
        run_setupbin(_params(tmp_path))
    assert 'usb_image' in err.value.msg and 'force' in err.value.msg
    # nothing written: neither the image nor setup.bin
    assert image.read_bytes() == b'someone else\'s disk image' and not (tmp_path / 'setup.bin').exists()
    # check mode says the same
    with pytest.raises(AmtError):
        run_setupbin(_params(tmp_path), check_mode=True)
    result = run_setupbin(_params(tmp_path, force=True, backup=True))
    assert result['changed'] and image.read_bytes() != b'someone else\'s disk image'
    assert open(result['usb_image_backup_file'], 'rb').read() == b'someone else\'s disk image'
    # the same image again: unchanged, no force needed
    again = run_setupbin(_params(tmp_path))
    assert again['changed'] is False and 'usb_image_backup_file' not in again
    assert os.stat(str(image)).st_mode & 0o777 == 0o600
