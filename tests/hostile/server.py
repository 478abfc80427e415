"""A hostile AMT device: the ways a broken or malicious device (or something posing as one) answers.

Run:  python -m tests.hostile --listen 127.0.0.9:16992=slow_headers [--listen-tls ADDR:PORT=SCENARIO ...]
          [--upstream 127.1.2.1:16992] [--password P@ssw0rd] [--log requests.jsonl] [--drip 0.5]
Prints one line "READY <json {listener: scenario}>" when every listener is bound.

Each listener plays one scenario. Answers that must look real (a module reads state before it writes) come
from an --upstream simulator device over plain HTTP: this server authenticates the caller itself (so it can
play digest variants) and forwards the SOAP body upstream with its own digest. Without --upstream, reads get
an Identify answer or a SOAP fault.

Every request received is logged (one JSON line: listener, scenario, action, authorised) so tests can count
how often a write arrived.

Scenarios
  good              forward everything (the control case)
  slow_status       the status line one byte per --drip seconds
  slow_headers      the status line at once, then the headers one byte per --drip seconds
  slow_chunks       headers at once, chunked body whose chunk-size lines drip
  slow_body         Content-Length body, one byte per --drip seconds
  close_after_write a write (anything but Get/Enumerate/Pull/Release/Identify) is forwarded upstream (so
                    the device acts) and the connection is closed without an answer
  auth_int_only     digest challenge qop="auth-int"; answers verified with the body hash
  no_qop            legacy digest (RFC 2069) challenge without qop
  stale_loop        every answer is refused with a fresh nonce and stale="true"
  md5_sess          algorithm=MD5-sess
  multi_challenge   three WWW-Authenticate headers: Negotiate, Basic, then Digest
  entity_utf8       200 with an internal DTD and entity expansion (UTF-8)
  entity_utf16      the same document encoded in UTF-16 with a BOM
  huge_body         a Content-Length body of 64 MiB, sent as fast as the socket takes it
  endless_body      chunked body that never ends (1 KiB chunks, no delay)
  redirect          302 to another host
  identify_dup      Identify answers as AMT, everything else gets a duplicated XML element (bad answers)
  wrong_name        (TLS) a certificate for wrong-name.invalid; otherwise like good
  late              every answer comes --late seconds after the request (a device slow under load)
"""
import argparse
import base64
import datetime
import hashlib
import http.client
import json
import os
import re
import socket
import socketserver
import ssl
import sys
import tempfile
import threading
import time

READ_ACTIONS = ('/Get', '/Enumerate', '/Pull', '/Release')
REALM = 'Digest:0F0E0D0C0B0A09080706050403020100'
SERVER = 'Intel(R) Active Management Technology 16.1.25'
IDENTIFY = (b'<?xml version="1.0" encoding="UTF-8"?><a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope" '
            b'xmlns:b="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><a:Header/><a:Body>'
            b'<b:IdentifyResponse><b:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</b:ProtocolVersion>'
            b'<b:ProductVendor>Intel Corporation</b:ProductVendor><b:ProductVersion>AMT 16.1</b:ProductVersion>'
            b'</b:IdentifyResponse></a:Body></a:Envelope>')
ENTITY_DOC = ('<?xml version="1.0" encoding="%s"?><!DOCTYPE a:Envelope [<!ENTITY x "xxxxxxxxxxxxxxxxxxxx">'
              '<!ENTITY y "&x;&x;&x;&x;&x;&x;&x;&x;&x;&x;"><!ENTITY z "&y;&y;&y;&y;&y;&y;&y;&y;&y;&y;">]>'
              '<a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope" xmlns:g="http://intel.com/wbem/wscim/1/'
              'amt-schema/1/AMT_GeneralSettings"><a:Header/><a:Body><g:AMT_GeneralSettings><g:HostName>&z;</g:HostName>'
              '</g:AMT_GeneralSettings></a:Body></a:Envelope>')
DUP_DOC = (b'<a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope" xmlns:g="http://intel.com/wbem/wscim/1/'
           b'amt-schema/1/AMT_GeneralSettings"><a:Header/><a:Body><g:AMT_GeneralSettings><g:HostName>a</g:HostName>'
           b'<g:HostName>b</g:HostName><g:DigestRealm>x</g:DigestRealm></g:AMT_GeneralSettings></a:Body></a:Envelope>')


def md5(text):
    return hashlib.md5(text.encode('utf-8') if isinstance(text, str) else text).hexdigest()


def parse_auth(value):
    if not value or not value.lower().startswith('digest '):
        return {}
    return dict((k.lower(), v1 if v1 else v2) for k, v1, v2 in
                re.findall(r'([A-Za-z-]+)=(?:"([^"]*)"|([^,\s]*))', value[7:]))


class Upstream(object):
    """A plain-HTTP digest client to the simulator (own code, independent of the collection's client)."""

    def __init__(self, target, username, password):
        host, port = target.rsplit(':', 1)
        self.host, self.port = host, int(port)
        self.username, self.password = username, password
        self.lock = threading.Lock()
        self.challenge = None
        self.nc = 0

    def _header(self):
        ch = self.challenge
        self.nc += 1
        nc = '%08x' % self.nc
        cnonce = os.urandom(8).hex()
        ha1 = md5('%s:%s:%s' % (self.username, ch['realm'], self.password))
        ha2 = md5('POST:/wsman')
        resp = md5('%s:%s:%s:%s:auth:%s' % (ha1, ch['nonce'], nc, cnonce, ha2))
        return ('Digest username="%s", realm="%s", nonce="%s", uri="/wsman", response="%s", qop="auth", nc=%s, '
                'cnonce="%s"' % (self.username, ch['realm'], ch['nonce'], resp, nc, cnonce))

    def post(self, body):
        with self.lock:
            for _unused in range(3):
                conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                headers = {'Content-Type': 'application/soap+xml; charset=utf-8'}
                if self.challenge:
                    headers['Authorization'] = self._header()
                conn.request('POST', '/wsman', body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                status, ctype, server = resp.status, resp.getheader('Content-Type'), resp.getheader('Server')
                www = resp.getheader('WWW-Authenticate')
                conn.close()
                if status == 401 and www:
                    self.challenge = parse_auth(www)
                    self.nc = 0
                    continue
                return status, ctype or 'application/soap+xml; charset=UTF-8', server or SERVER, data
        return 401, 'text/html', SERVER, b'upstream refused'


class Listener(object):
    def __init__(self, args, scenario, name):
        self.args = args
        self.scenario = scenario
        self.name = name
        self.nonces = {}
        self.lock = threading.Lock()

    # -- digest as the device ------------------------------------------------------------------
    def challenge_headers(self, stale=False):
        nonce = base64.b64encode(os.urandom(18)).decode('ascii')
        with self.lock:
            self.nonces[nonce] = 0
        sc = self.scenario
        if sc == 'auth_int_only':
            return ['Digest realm="%s", nonce="%s", stale="false", qop="auth-int"' % (REALM, nonce)]
        if sc == 'no_qop':
            return ['Digest realm="%s", nonce="%s"' % (REALM, nonce)]
        if sc == 'stale_loop':
            return ['Digest realm="%s", nonce="%s", stale="true", qop="auth"' % (REALM, nonce)]
        if sc == 'md5_sess':
            return ['Digest realm="%s", nonce="%s", stale="false", qop="auth", algorithm=MD5-sess' % (REALM, nonce)]
        if sc == 'multi_challenge':
            return ['Negotiate', 'Basic realm="%s"' % REALM,
                    'Digest realm="%s", nonce="%s", stale="false", qop="auth-int, auth"' % (REALM, nonce)]
        return ['Digest realm="%s", nonce="%s",stale="%s",qop="auth"' % (REALM, nonce, 'true' if stale else 'false')]

    def authorised(self, headers, body):
        params = parse_auth(headers.get('authorization'))
        if not params or self.scenario == 'stale_loop':
            return False
        nonce = params.get('nonce')
        with self.lock:
            if nonce not in self.nonces:
                return False
        if params.get('username') != self.args.username or params.get('realm') != REALM:
            return False
        ha1 = md5('%s:%s:%s' % (self.args.username, REALM, self.args.password))
        if params.get('algorithm', '').lower() == 'md5-sess':
            ha1 = md5('%s:%s:%s' % (ha1, nonce, params.get('cnonce', '')))
        qop = params.get('qop')
        if qop == 'auth-int':
            ha2 = md5('POST:%s:%s' % (params.get('uri'), md5(body)))
        else:
            ha2 = md5('POST:%s' % params.get('uri'))
        if qop:
            if self.scenario == 'auth_int_only' and qop != 'auth-int':
                return False
            expected = md5('%s:%s:%s:%s:%s:%s' % (ha1, nonce, params.get('nc'), params.get('cnonce'), qop, ha2))
            try:
                nc = int(params.get('nc', '0'), 16)
            except ValueError:
                return False
            with self.lock:
                if nc <= self.nonces.get(nonce, 0):
                    return False
                self.nonces[nonce] = nc
        else:
            expected = md5('%s:%s:%s' % (ha1, nonce, ha2))
        return expected == params.get('response')


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        self.request.settimeout(60)
        self.buf = b''

    def read_request(self):
        while b'\r\n\r\n' not in self.buf:
            chunk = self.request.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
            if len(self.buf) > 1 << 20:
                return None
        head, _unused, rest = self.buf.partition(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        headers = {}
        for line in lines[1:]:
            k, _unused, v = line.partition(':')
            headers[k.strip().lower()] = v.strip()
        length = int(headers.get('content-length', '0') or 0)
        while len(rest) < length:
            chunk = self.request.recv(65536)
            if not chunk:
                return None
            rest += chunk
        body, self.buf = rest[:length], rest[length:]
        return lines[0], headers, body

    def send_all(self, data):
        self.request.sendall(data)

    def drip(self, data):
        for i in range(len(data)):
            self.request.sendall(data[i:i + 1])
            time.sleep(self.server.args.drip)

    def handle(self):
        listener = self.server.listener
        try:
            while True:
                req = self.read_request()
                if req is None:
                    return
                if not self.answer(listener, *req):
                    return
        except (OSError, ssl.SSLError):
            return

    def log(self, listener, action, authorised):
        with self.server.log_lock:
            with open(self.server.args.log, 'a') as fh:
                fh.write(json.dumps({'listener': listener.name, 'scenario': listener.scenario, 'action': action,
                                     'authorised': authorised, 'time': time.time()}) + '\n')

    def respond(self, status, body, ctype='application/soap+xml; charset=UTF-8', extra=(), close=False):
        head = ['HTTP/1.1 %d %s' % (status, {200: 'OK', 401: 'Unauthorized', 302: 'Found', 400: 'Bad Request'}
                                    .get(status, 'X')),
                'Server: %s' % SERVER, 'Content-Type: %s' % ctype, 'Content-Length: %d' % len(body)]
        head += list(extra)
        if close:
            head.append('Connection: close')
        return ('\r\n'.join(head) + '\r\n\r\n').encode('latin-1') + body

    def answer(self, listener, request_line, headers, body):
        sc = listener.scenario
        match = re.search(br'<[^>]*:Action[^>]*>([^<]+)<', body)
        action = match.group(1).decode('utf-8', 'replace').strip() if match else ''
        identify = b'Identify' in body and not action
        is_read = identify or action.endswith(READ_ACTIONS)
        authorised = identify or listener.authorised(headers, body)
        self.log(listener, action or ('Identify' if identify else '?'), authorised)
        args = self.server.args
        # the slow and broken deliveries happen on whatever request comes first (a device is hostile from the start)
        if sc == 'late':
            time.sleep(args.late)
        if sc == 'slow_status':
            self.drip(b'HTTP/1.1 200 OK\r\n')
            return False
        if sc == 'slow_headers':
            self.send_all(b'HTTP/1.1 200 OK\r\n')
            self.drip(b'Server: ' + SERVER.encode() + b'\r\nContent-Type: application/soap+xml\r\n' * 50)
            return False
        if sc == 'slow_chunks':
            self.send_all(b'HTTP/1.1 200 OK\r\nServer: %s\r\nContent-Type: application/soap+xml\r\n'
                          b'Transfer-Encoding: chunked\r\n\r\n' % SERVER.encode())
            for _unused in range(10000):
                self.drip(b'1')
                self.send_all(b'\r\nx\r\n')
            return False
        if sc == 'slow_body':
            self.send_all(b'HTTP/1.1 200 OK\r\nServer: %s\r\nContent-Type: application/soap+xml\r\n'
                          b'Content-Length: 100000\r\n\r\n' % SERVER.encode())
            self.drip(b'<' + b'x' * 99999)
            return False
        if sc == 'huge_body':
            self.send_all(b'HTTP/1.1 200 OK\r\nServer: %s\r\nContent-Type: application/soap+xml\r\n'
                          b'Content-Length: %d\r\n\r\n' % (SERVER.encode(), 64 << 20))
            block = b'<' + b'x' * 65535
            for _unused in range(1024):
                self.send_all(block)
            return False
        if sc == 'endless_body':
            self.send_all(b'HTTP/1.1 200 OK\r\nServer: %s\r\nContent-Type: application/soap+xml\r\n'
                          b'Transfer-Encoding: chunked\r\n\r\n' % SERVER.encode())
            chunk = b'400\r\n' + b'x' * 1024 + b'\r\n'
            while True:
                self.send_all(chunk)
        if sc == 'redirect':
            self.send_all(self.respond(302, b'', 'text/html', ['Location: http://evil.invalid/wsman'], close=True))
            return False
        if sc in ('entity_utf8', 'entity_utf16'):
            if identify:
                self.send_all(self.respond(200, IDENTIFY))
                return True
            doc = ENTITY_DOC % ('UTF-8' if sc == 'entity_utf8' else 'UTF-16')
            data = doc.encode('utf-8') if sc == 'entity_utf8' else doc.encode('utf-16')
            self.send_all(self.respond(200, data))
            return True
        if sc == 'identify_dup':
            self.send_all(self.respond(200, IDENTIFY if identify else DUP_DOC))
            return True
        if not authorised:
            stale = False
            extra = ['WWW-Authenticate: %s' % c for c in listener.challenge_headers(stale)]
            self.send_all(self.respond(401, b'<html>401</html>', 'text/html', extra, close=True))
            return False
        # authorised (or Identify): a real answer from upstream
        if identify and not self.server.upstream:
            self.send_all(self.respond(200, IDENTIFY))
            return True
        if not self.server.upstream:
            self.send_all(self.respond(400, b'', 'text/html'))
            return True
        status, ctype, _server, data = self.server.upstream.post(body)
        if sc == 'close_after_write' and not is_read:
            # the device acted (upstream has it); the answer never comes back
            self.request.shutdown(socket.SHUT_RDWR)
            return False
        self.send_all(self.respond(status, data, ctype))
        return True


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, listener, args, upstream, log_lock, tls=None):
        self.listener = listener
        self.args = args
        self.upstream = upstream
        self.log_lock = log_lock
        self.tls = tls
        socketserver.ThreadingTCPServer.__init__(self, addr, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.tls is not None:
            sock.settimeout(10)
            try:
                sock = self.tls.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                sock.close()
                raise OSError('handshake failed')
        return sock, addr

    def handle_error(self, request, client_address):
        pass


def wrong_name_context():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'wrong-name.invalid')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName('wrong-name.invalid')]), critical=False)
            .sign(key, hashes.SHA256()))
    d = tempfile.mkdtemp(prefix='hostile-tls-')
    cert_path, key_path = os.path.join(d, 'cert.pem'), os.path.join(d, 'key.pem')
    with open(cert_path, 'wb') as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, 'wb') as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--listen', action='append', default=[], help='ADDR:PORT=SCENARIO (plain HTTP)')
    parser.add_argument('--listen-tls', action='append', default=[], help='ADDR:PORT=SCENARIO (TLS, wrong name)')
    parser.add_argument('--upstream', help='simulator device ADDR:PORT (plain HTTP) for real answers')
    parser.add_argument('--username', default='admin')
    parser.add_argument('--password', default='P@ssw0rd')
    parser.add_argument('--log', default=os.devnull)
    parser.add_argument('--drip', type=float, default=0.5, help='seconds between dripped bytes')
    parser.add_argument('--late', type=float, default=1.5, help='delay of every answer in the late scenario')
    args = parser.parse_args(argv)
    upstream = Upstream(args.upstream, args.username, args.password) if args.upstream else None
    log_lock = threading.Lock()
    servers = []
    tls = None
    ready = {}
    for spec, use_tls in [(s, False) for s in args.listen] + [(s, True) for s in args.listen_tls]:
        where, scenario = spec.split('=', 1)
        host, port = where.rsplit(':', 1)
        if use_tls and tls is None:
            tls = wrong_name_context()
        srv = Server((host, int(port)), Listener(args, scenario, where), args, upstream, log_lock,
                     tls if use_tls else None)
        ready['%s:%d' % (host, srv.server_address[1])] = scenario
        servers.append(srv)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    sys.stdout.write('READY %s\n' % json.dumps(ready))
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
