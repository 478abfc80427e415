"""Start a simulated fleet from tests: ``with Simulator(devices=3) as sim: ...``."""

import itertools
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_counter = itertools.count()


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _address_free(addr, port=16992):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((addr, port)) != 0


def _xdist_slot():
    """0..9 for a pytest-xdist worker (PYTEST_XDIST_WORKER=gw<N>), None outside xdist."""
    worker = os.environ.get('PYTEST_XDIST_WORKER', '')
    return int(worker[2:]) % 10 if worker.startswith('gw') and worker[2:].isdigit() else None


def pick_first_address():
    """A /24 in 127.x.y.0 nobody listens on (derived from the pid so parallel runs differ).

    Each pytest-xdist worker draws from its own slice of x (15 values each), so two workers of one run never
    pick the same /24, even before either simulator has bound it; the connect test skips /24s other runs use."""
    base = os.getpid() % 200
    slot = _xdist_slot()
    for i in range(400):
        n = next(_counter) + i
        a = 100 + (base + n) % 150 if slot is None else 100 + slot * 15 + (base + n) % 15
        b = (os.getpid() // 200 + n * 7) % 250 + 1
        addr = '127.%d.%d.1' % (a, b)
        if _address_free(addr):
            return addr
    raise RuntimeError('no free loopback /24 found')


class Simulator:
    def __init__(self, devices=1, mode='ccm', admin_password='P@ssw0rd', fleet_spec=None, first_address=None,
                 state_dir=None, extra_args=(), http_only=False, ready_timeout=120, warm_tls=None):
        self.devices = devices
        self.mode = mode
        self.admin_password = admin_password
        self.fleet_spec = fleet_spec
        self.first_address = first_address or pick_first_address()
        self._own_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix='amtsim-')
        self.extra_args = list(extra_args)
        self.http_only = http_only
        self.ready_timeout = ready_timeout
        self.warm_tls = warm_tls
        self.control_port = free_port()
        self.request_log = os.path.join(self.state_dir, 'requests.log')
        self.proc = None
        self.addresses = []

    @property
    def ca_path(self):
        return os.path.join(self.state_dir, 'ca.pem')

    def start(self):
        cmd = [sys.executable, '-m', 'tests.simulator', '--devices', str(self.devices),
               '--first-address', self.first_address, '--state-dir', self.state_dir,
               '--admin-password', self.admin_password, '--mode', self.mode, '--request-log', self.request_log,
               '--control-port', str(self.control_port)] + self.extra_args
        if self.http_only:
            cmd.append('--http-only')
        if self.fleet_spec is not None:
            spec_path = os.path.join(self.state_dir, 'fleet-spec.json')
            with open(spec_path, 'w') as fh:
                json.dump(self.fleet_spec, fh)
            cmd += ['--fleet-spec', spec_path]
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=open(
            os.path.join(self.state_dir, 'simulator.stderr'), 'w'), text=True)
        deadline = time.monotonic() + self.ready_timeout
        line = ''
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith('READY'):
                break
            if self.proc.poll() is not None:
                break
        if not line.startswith('READY'):
            self.stop()
            with open(os.path.join(self.state_dir, 'simulator.stderr')) as fh:
                raise RuntimeError('simulator did not start: %s' % fh.read()[-2000:])
        self.addresses = self._control('GET', '/devices')
        if self.warm_tls or (self.warm_tls is None and len(self.addresses) <= 64):
            self._warm_tls()
        return self

    def _warm_tls(self):
        """One TLS handshake with every device right after start, as a real AMT has its certificate from boot.

        The simulator makes a device's TLS context at its first TLS connection (so 1,000 devices start in seconds);
        on a loaded machine that work, done in its one event loop, made the first probes of a test time out."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE

        def warm(addr):
            try:
                with socket.create_connection((addr, 16993), timeout=10) as raw, ctx.wrap_socket(raw):
                    pass
            except (OSError, ssl.SSLError):
                pass        # no TLS listener (not provisioned, TLS off) or a fault set from the start: nothing to warm
        # a few handshakes in flight: this side's half of each overlaps the simulator's (5,000 devices in half the time)
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(warm, self.addresses))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def stop(self, keep_state=False):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        if self._own_dir and not keep_state:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def _control(self, method, path, data=None):
        body = json.dumps(data).encode() if data is not None else None
        req = urllib.request.Request('http://127.0.0.1:%d%s' % (self.control_port, path), data=body, method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def state(self, addr):
        return self._control('GET', '/devices/%s' % addr)

    def patch(self, addr, **values):
        return self._control('PATCH', '/devices/%s' % addr, values)

    def faults(self, addr, **faults):
        return self._control('PUT', '/devices/%s/faults' % addr, faults)

    def host_boot(self, addr):
        return self._control('POST', '/devices/%s/host-boot' % addr, {})

    def log_entries(self, device=None):
        if not os.path.exists(self.request_log):
            return []
        with open(self.request_log) as fh:
            entries = [json.loads(line) for line in fh if line.strip()]
        return [e for e in entries if device is None or e['device'] == device]

    def clear_log(self):
        open(self.request_log, 'w').close()

    def mei_path(self, addr):
        """The device's MEI stand-in socket (start the simulator with extra_args=['--mei'])."""
        return os.path.join(self.state_dir, 'mei', '%s.sock' % addr)

    def connection(self, addr, tls=True, **extra):
        """Connection options for modules/clients talking to one device."""
        opts = {'host': addr, 'username': 'admin', 'password': self.admin_password, 'use_tls': tls,
                'ca_path': self.ca_path, 'timeout': 10}
        opts.update(extra)
        return opts
