"""What makes the transport cheap per device (issue 16) without losing its guarantees: the TLS session copied
only when a reconnect follows and resumed on it, the deadline watchdog (no thread per request, an old deadline
never cuts a later exchange, a forked worker gets its own watchdog), the TLS files checked once per run, the
digest round trip without requests."""
import os
import subprocess
import sys
import time

import pytest

from ansible_collections.oob.amt.plugins.module_utils import device
from ansible_collections.oob.amt.plugins.module_utils.wsman import transport as tr
from ansible_collections.oob.amt.plugins.module_utils.wsman.client import WsmanClient
from ansible_collections.oob.amt.plugins.module_utils.wsman.digest import DigestAuth

CHALLENGE = 'Digest realm="Digest:AF541D9BC94CFF7ADFA073F492F355E6", nonce="%s", stale="%s", qop="auth"'


@pytest.fixture(scope='module')
def sim():
    from tests.simulator.harness import Simulator
    with Simulator(devices=2) as s:
        yield s


def test_session_copied_once_per_device_and_resumed_after_the_401(sim, monkeypatch):
    addr = sim.addresses[1]
    ctx = tr.build_ssl_context(ca_path=sim.ca_path)
    copies = []
    remember = ctx.remember_session
    monkeypatch.setattr(ctx, 'remember_session', lambda peer, session: (copies.append(peer), remember(peer, session)))
    c = WsmanClient(addr, password=sim.admin_password, ssl_context=ctx, timeout=10)
    c.enumerate('CIM_ServiceAvailableToElement')
    c.get('AMT_GeneralSettings')
    c.get('AMT_SetupAndConfigurationService')
    assert c.exchanges == 4 and c.transport.connections == 2
    # one copy: the 401's connection (closed by the device); not one per answer on the kept-alive one
    assert copies == [(addr, 16993)]
    assert c.transport.tls_resumed == 1 and ctx.resumed == 1      # the reconnect resumed (session_reused)
    c.close()


def test_an_old_deadline_does_not_cut_a_later_exchange_of_the_same_transport():
    guard = tr._Guard()
    guard.start(0.2)        # a quick exchange that ends at once; its entry stays in the watchdog's heap
    guard.stop()
    guard.start(5)          # the next exchange of the same transport, with its own deadline
    time.sleep(0.6)
    assert not guard.expired
    guard.stop()


def test_an_earlier_deadline_armed_after_a_later_one_fires_on_time():
    late, early = tr._Guard(), tr._Guard()
    late.start(30)
    early.start(0.2)        # the watchdog sleeps towards 30 s: arming an earlier deadline must wake it
    deadline = time.monotonic() + 3
    while not early.expired and time.monotonic() < deadline:
        time.sleep(0.05)
    assert early.expired and not late.expired
    early.stop()
    late.stop()


def test_no_thread_per_request():
    import threading
    guards = [tr._Guard() for dummy in range(50)]
    before = threading.active_count()
    for g in guards:
        g.start(30)
    assert threading.active_count() <= max(before, 1) + 1     # at most the one watchdog thread
    for g in guards:
        g.stop()


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='fork')
def test_a_forked_worker_gets_a_watchdog_of_its_own():
    parent = tr._Guard()
    parent.start(30)        # the parent's watchdog thread is running (an inventory plugin, an earlier task)
    pid = os.fork()
    if pid == 0:            # an Ansible worker: the parent's thread does not exist here
        try:
            g = tr._Guard()
            g.start(0.2)
            end = time.monotonic() + 3
            while not g.expired and time.monotonic() < end:
                time.sleep(0.05)
            os._exit(0 if g.expired else 1)
        except BaseException:
            os._exit(2)
    status = os.waitpid(pid, 0)[1]
    parent.stop()
    assert os.WEXITSTATUS(status) == 0


def test_tls_files_checked_once_per_run_and_again_when_replaced(sim, tmp_path, monkeypatch):
    ca = tmp_path / 'ca.pem'
    with open(sim.ca_path) as fh:
        ca.write_text(fh.read())
    loads = []
    real = tr.build_ssl_context
    monkeypatch.setattr(tr, 'build_ssl_context', lambda **kw: (loads.append(kw.get('ca_path')), real(**kw))[1])
    monkeypatch.setattr(tr, '_CONTEXTS', {})
    params = dict(host='x', ca_path=str(ca), validate_certs=True, use_tls=True)
    for dummy in range(5):
        device.check_connection_params(params)
    assert loads == [str(ca)]                       # five devices, one CA load
    ctx = tr.ssl_context_for(validate_certs=True, ca_path=str(ca))
    assert loads == [str(ca)]                       # and the client finds that context ready
    assert ctx is not None
    ca.write_text('not a certificate at all, and longer than before\n')
    with pytest.raises(ValueError, match='option ca_path'):
        device.check_connection_params(params)      # replaced during the run: checked again, named


def test_digest_round_trip_state():
    auth = DigestAuth('admin', 'pw')
    assert auth.start('POST', '/wsman', b'x') is None                  # nothing to send before a challenge
    drained = []
    first = auth.answer([CHALLENGE % ('n1', 'false')], 'POST', '/wsman', b'x', lambda: drained.append(1) or True)
    assert first and 'nonce="n1"' in first and 'nc=00000001' in first and drained == [1]
    # the fresh nonce refused again, not called stale: wrong password, nothing more is sent
    assert auth.answer([CHALLENGE % ('n2', 'false')], 'POST', '/wsman', b'x', lambda: True) is None
    # next request: the kept nonce; refused with stale=false once: one fresh try (firmware forgot the nonce)
    kept = auth.start('POST', '/wsman', b'y')
    assert 'nonce="n1"' in kept and 'nc=00000002' in kept
    again = auth.answer([CHALLENGE % ('n3', 'false')], 'POST', '/wsman', b'y', lambda: True)
    assert again and 'nonce="n3"' in again and auth.rechallenges == 1
    # stale: answered once more, then a third 401 for the same request is the answer
    assert auth.answer([CHALLENGE % ('n4', 'true')], 'POST', '/wsman', b'y', lambda: True)
    assert auth.answer([CHALLENGE % ('n5', 'true')], 'POST', '/wsman', b'y', lambda: True) is None
    # a 401 page over the limit is not answered, and says why
    auth.start('POST', '/wsman', b'z')
    assert auth.answer([CHALLENGE % ('n6', 'true')], 'POST', '/wsman', b'z', lambda: False) is None
    assert 'larger than' in auth.last_error


def test_the_client_does_not_import_requests():
    code = ('import sys; sys.path.insert(0, %r); '
            'from ansible_collections.oob.amt.plugins.module_utils import device; '
            'print("requests" in sys.modules)' % os.path.join(os.path.dirname(tr.__file__).split(
                '/ansible_collections/')[0]))
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == 'False'


def test_urllib3_1x_is_refused_with_the_fix_named(monkeypatch):
    # urllib3 1.x sends no server_hostname for an IP address; our verifying context would fail every
    # exchange with a bare ValueError, so the transport says which version is needed before contact
    monkeypatch.setattr(tr, 'HAS_URLLIB3', False)
    monkeypatch.setattr(tr, 'URLLIB3_IMPORT_ERROR', 'urllib3 1.26.20 is installed; 2.0 or later is needed')
    with pytest.raises(tr.WsmanError) as err:
        tr.Transport('10.0.0.1', 16993)
    assert '1.26.20' in str(err.value) and "urllib3>=2" in err.value.hint
