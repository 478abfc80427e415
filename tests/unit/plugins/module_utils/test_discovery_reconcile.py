"""Address parsing for discovery and the reconciliation matcher."""
import pytest

from ansible_collections.oob.amt.plugins.module_utils.amt import discovery as d
from ansible_collections.oob.amt.plugins.module_utils.reconcile import reconcile, to_html, to_markdown


@pytest.mark.parametrize('spec,count', [('10.0.0.0/24', 254), ('10.0.0.0/22', 1022), ('10.0.0.5-10.0.0.9', 5),
                                        ('10.0.0.5-9', 5), ('10.0.0.7', 1), ('10.0.0.0/31', 2)])
def test_ranges(spec, count):
    assert d.count_addresses([spec]) == count
    assert len(list(d.iter_addresses([spec]))) == count


def test_overlapping_ranges_yield_each_address_once():
    assert len(list(d.iter_addresses(['10.0.0.0/24', '10.0.0.10-20'], ['pc1.example.com']))) == 255


def test_iteration_is_lazy_for_a_slash_16():
    it = d.iter_addresses(['10.1.0.0/16'])
    assert next(it) == '10.1.0.1'


def test_ipv6_stays_ipv6_and_never_meets_ipv4():
    # '::1' and '0.0.0.1' are both the integer 1: they must stay two addresses, each in its own family
    assert list(d.iter_addresses(['::1', '0.0.0.1', 'fe80::1-fe80::3', 'fd00::/127'])) == [
        '::1', '0.0.0.1', 'fe80::1', 'fe80::2', 'fe80::3', 'fd00::', 'fd00::1']
    assert d._in_range('::1', '::1') and not d._in_range('0.0.0.1', '::1')
    with pytest.raises(d.DiscoveryError, match='mixes IPv4 and IPv6'):
        d.parse_target('10.0.0.1-::5')


@pytest.mark.parametrize('spec', ['10.0.0.0/33', 'nonsense', '10.0.0.9-10.0.0.1', '10.0.0.0/4', ''])
def test_bad_ranges(spec):
    with pytest.raises(d.DiscoveryError):
        d.parse_target(spec)


def test_credentials_per_range():
    creds = [{'ranges': ['10.2.0.0/16'], 'username': 'zone2', 'password': 'b'}]
    assert d.credentials_for('10.2.3.4', creds, 'admin', 'a') == ('zone2', 'b')
    assert d.credentials_for('10.3.3.4', creds, 'admin', 'a') == ('admin', 'a')


def test_reconcile_statuses():
    oob = [{'name': 'a', 'uuid': 'U1', 'serial': 'S1', 'hostname': 'pc-a', 'macs': ['00-11-22-33-44-55'],
            'control_mode': 'acm', 'version': '16.1.25', 'power_state': 'on'},
           {'name': 'b', 'uuid': 'U2', 'serial': 'S2', 'hostname': 'pc-b', 'macs': []},
           {'name': 'c', 'uuid': 'U3', 'serial': 'S3', 'hostname': 'pc-c', 'macs': []}]
    inband = [{'name': 'a', 'uuid': 'u1', 'serial': 'S1', 'hostname': 'PC-A.corp', 'macs': ['00:11:22:33:44:55']},
              {'name': 'b', 'uuid': 'u2', 'serial': 'other', 'hostname': 'pc-b', 'macs': []},
              {'name': 'z', 'uuid': 'u9', 'serial': 'S9', 'hostname': 'pc-z', 'macs': []}]
    report = reconcile(oob, inband)
    assert report['summary'] == {'matched': 1, 'mismatched': 1, 'in_band_only': 1, 'out_of_band_only': 1}
    html = to_html(report)
    assert html.startswith('<!DOCTYPE html>') and '<script' not in html and 'class="mismatched"' in html
    assert '| c | out of band only |' in to_markdown(report)


def test_reconcile_escapes_device_strings():
    report = reconcile([{'name': '<script>alert(1)</script>', 'uuid': None}], [])
    assert '<script>alert' not in to_html(report)


def test_forget_device_in_both_cache_forms(tmp_path):
    import json
    from ansible_collections.oob.amt.plugins.module_utils.inventory_cache import forget_device
    devices = [{'address': '10.0.0.1'}, {'address': {'value': '10.0.0.2', 'tags': []}}, {'address': '10.0.0.3'}]
    (tmp_path / 'plain').write_text(json.dumps(devices))
    (tmp_path / 'wrapped').write_text(json.dumps({'__payload__': json.dumps(devices)}))
    (tmp_path / 'other').write_text(json.dumps({'facts': 1}))
    assert forget_device(str(tmp_path), '10.0.0.2', check_mode=True) == [str(tmp_path / 'plain'), str(tmp_path / 'wrapped')]
    assert json.loads((tmp_path / 'plain').read_text()) == devices
    forget_device(str(tmp_path), '10.0.0.2')
    assert [d['address'] for d in json.loads((tmp_path / 'plain').read_text())] == ['10.0.0.1', '10.0.0.3']
    inner = json.loads(json.loads((tmp_path / 'wrapped').read_text())['__payload__'])
    assert [d['address'] for d in inner] == ['10.0.0.1', '10.0.0.3']
    assert json.loads((tmp_path / 'other').read_text()) == {'facts': 1}
    assert forget_device(str(tmp_path / 'missing'), '10.0.0.1') == []


def test_forget_device_parallel_edits_all_land(tmp_path):
    """20 processes forgetting 20 devices at once: every one is gone (without the lock, 4-15 came back)."""
    import json
    import multiprocessing
    from ansible_collections.oob.amt.plugins.module_utils.inventory_cache import forget_device
    devices = [{'address': '10.0.0.%d' % i, 'pad': 'x' * 20000} for i in range(1, 41)]
    (tmp_path / 'cache').write_text(json.dumps({'__payload__': json.dumps(devices)}))
    ctx = multiprocessing.get_context('fork')
    procs = [ctx.Process(target=forget_device, args=(str(tmp_path), '10.0.0.%d' % i)) for i in range(1, 21)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    left = [d['address'] for d in json.loads(json.loads((tmp_path / 'cache').read_text())['__payload__'])]
    assert left == ['10.0.0.%d' % i for i in range(21, 41)]
