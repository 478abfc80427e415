"""Start the hostile device server from tests: ``with Hostile({'127.0.0.9:16992': 'slow_headers'}) as h: ...``."""
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Hostile:
    def __init__(self, listeners, tls_listeners=None, upstream=None, password='P@ssw0rd', drip=0.5, late=1.5):
        self.listeners = dict(listeners)
        self.tls_listeners = dict(tls_listeners or {})
        self.upstream = upstream
        self.password = password
        self.drip = drip
        self.late = late
        self.proc = None
        fd, self.log_path = tempfile.mkstemp(prefix='hostile-', suffix='.jsonl')
        os.close(fd)

    def start(self):
        cmd = [sys.executable, '-m', 'tests.hostile', '--log', self.log_path, '--password', self.password,
               '--drip', str(self.drip), '--late', str(self.late)]
        for where, scenario in self.listeners.items():
            cmd += ['--listen', '%s=%s' % (where, scenario)]
        for where, scenario in self.tls_listeners.items():
            cmd += ['--listen-tls', '%s=%s' % (where, scenario)]
        if self.upstream:
            cmd += ['--upstream', self.upstream]
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith('READY'):
            self.stop()
            raise RuntimeError('hostile server did not start: %s %s' % (line, self.proc.stderr.read()[-2000:]))
        self.bound = json.loads(line[6:])
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream:
                    stream.close()

    def requests(self, scenario=None):
        out = []
        with open(self.log_path) as fh:
            for line in fh:
                entry = json.loads(line)
                if scenario is None or entry['scenario'] == scenario:
                    out.append(entry)
        return out

    def clear(self):
        open(self.log_path, 'w').close()
