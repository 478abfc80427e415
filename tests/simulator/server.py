"""The fleet: asyncio listeners per device, HTTP/1.1, AMT digest, WS-Man dispatch, faults, control API."""

import asyncio
import base64
import email.utils
import hashlib
import json
import os
import socket
import struct
import sys
import time

from tests.simulator import redirection, registry, soap
from tests.simulator.ca import FleetCA
from tests.simulator import mei_standin
from tests.simulator import firmware
from tests.simulator.model import deep_merge, load_or_create
from tests.simulator.registry import Context, SoapFault
from tests.simulator.classes import tls as tls_classes

MAX_HEADER = 16 * 1024
MAX_BODY = 2 * 1024 * 1024
NONCE_LIFETIME = 600.0
ENUM = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/'
XFER = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/'
HTML_401 = (b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" >\n<html><head><link rel=stylesheet '
            b'href=/styles.css>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            b'<title>Intel&reg; Active Management Technology</title></head>\n<body>\n<table class=header>\n<tr><td '
            b'valign=top nowrap>\n<p class=top1>Intel<font class=r><sup>&reg;</sup></font> Active Management '
            b'Technology\n</td></tr></table>\n<br><h2 class=warn>Log on failed. Incorrect user name or password, '
            b'or user account temporarily locked.</h2>\n</body></html>\n')


def _md5(text):
    return hashlib.md5(text.encode('utf-8')).hexdigest()


def parse_auth_header(value):
    """Authorization: Digest k=v, k="v" ... -> dict (tolerates quoted and unquoted values)."""
    if not value or not value[:6].lower() == 'digest':
        return None
    text = value[6:]
    out = {}
    pos = 0
    n = len(text)
    while pos < n:
        while pos < n and text[pos] in ' \t,':
            pos += 1
        eq = text.find('=', pos)
        if eq < 0:
            break
        key = text[pos:eq].strip().lower()
        pos = eq + 1
        if pos < n and text[pos] == '"':
            end = pos + 1
            buf = []
            while end < n and text[end] != '"':
                if text[end] == '\\' and end + 1 < n:
                    end += 1
                buf.append(text[end])
                end += 1
            out[key] = ''.join(buf)
            pos = end + 1
        else:
            end = text.find(',', pos)
            end = n if end < 0 else end
            out[key] = text[pos:end].strip()
            pos = end
    return out


class HTTPRequest:
    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body


async def read_request(reader):
    try:
        head = await reader.readuntil(b'\r\n\r\n')
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        raise ValueError('header too large')
    lines = head.decode('latin-1').split('\r\n')
    parts = lines[0].split(' ')
    if len(parts) != 3:
        raise ValueError('bad request line')
    headers = {}
    for line in lines[1:]:
        if ':' in line:
            k, v = line.split(':', 1)
            headers[k.strip().lower()] = v.strip()
    body = b''
    if headers.get('transfer-encoding', '').lower() == 'chunked':
        chunks = []
        total = 0
        while True:
            size_line = await reader.readuntil(b'\r\n')
            size = int(size_line.split(b';')[0].strip() or b'0', 16)
            if size == 0:
                await reader.readuntil(b'\r\n')
                break
            total += size
            if total > MAX_BODY:
                raise ValueError('body too large')
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b''.join(chunks)
    elif 'content-length' in headers:
        length = int(headers['content-length'])
        if length > MAX_BODY:
            raise ValueError('body too large')
        body = await reader.readexactly(length)
    return HTTPRequest(parts[0], parts[1], headers, body)


def _date():
    return email.utils.formatdate(usegmt=True)


def _chunked(body, size=4096):
    out = []
    for i in range(0, len(body), size):
        piece = body[i:i + size]
        out.append(b'%X\r\n' % len(piece) + piece + b'\r\n')
    out.append(b'0\r\n\r\n')
    return b''.join(out)


class Fleet:
    def __init__(self, args):
        self.args = args
        self.state_dir = args.state_dir
        os.makedirs(os.path.join(self.state_dir, 'devices'), exist_ok=True)
        self.spec = {}
        if args.fleet_spec:
            with open(args.fleet_spec) as fh:
                self.spec = json.load(fh)
        self.devices = {}
        self.servers = []
        self.log_fh = open(args.request_log, 'a', buffering=1) if args.request_log else None
        self.ca = FleetCA(self.state_dir) if not args.no_tls else None
        registry.load_all()
        self.redirection = redirection.RedirectionListeners(self)

    # -- setup ------------------------------------------------------------------------------
    def addresses(self, first, count):
        value = struct.unpack('!I', socket.inet_aton(first))[0]
        out = []
        while len(out) < count:
            addr = socket.inet_ntoa(struct.pack('!I', value))
            if addr.split('.')[-1] not in ('0', '255'):
                out.append(addr)
            value += 1
        return out

    def build_devices(self):
        overrides = self.spec.get('devices', {})
        for index, addr in enumerate(self.addresses(self.args.first_address, self.args.devices)):
            device, created = load_or_create(self.state_dir, addr, index, self.args.admin_password, self.args.mode,
                                             overrides.get(addr), self.args.seed)
            self.devices[addr] = device
            if created:
                device.save()
            self._arm_faults(device)
        for addr, extra in overrides.items():
            if addr not in self.devices and extra.get('create', False):
                device, created = load_or_create(self.state_dir, addr, len(self.devices), self.args.admin_password,
                                                 self.args.mode, extra, self.args.seed)
                self.devices[addr] = device
                device.save()

    def _arm_faults(self, device):
        faults = device.state.get('faults') or {}
        device.reboot_until = time.monotonic() + float(faults['rebooting']) if faults.get('rebooting') else 0

    async def start(self):
        self.build_devices()
        loop_start = []
        for addr, device in self.devices.items():
            loop_start.append(self._listen(addr, 16992, device, tls=False, interface='network'))
            if self.ca is not None and not self.args.http_only:
                loop_start.append(self._listen(addr, 16993, device, tls=True, interface='network'))
            if device.state.get('lms', True):   # "lms": false -> nothing listens on the host-local ports
                loop_start.append(self._listen(addr, self.args.local_port, device, tls=False, interface='local'))
                if self.ca is not None and getattr(self.args, 'local_tls_port', 0):
                    loop_start.append(self._listen(addr, self.args.local_tls_port, device, tls=True,
                                                   interface='local'))
            if redirection.enabled(self.args, len(self.devices)):
                loop_start.append(self.redirection.listen(addr, device, False, 16994))
                if self.ca is not None and not self.args.http_only:
                    loop_start.append(self.redirection.listen(addr, device, True, 16995))
        for addr in self.spec.get('non_amt_http', []):
            loop_start.append(self._listen_raw(addr, 16992, self._non_amt))
        for addr in self.spec.get('blackhole', []):
            loop_start.append(self._listen_raw(addr, 16992, self._blackhole))
            loop_start.append(self._listen_raw(addr, 16993, self._blackhole))
        # bind in batches to keep the event loop responsive
        for i in range(0, len(loop_start), 500):
            self.servers.extend(await asyncio.gather(*loop_start[i:i + 500]))
        if self.args.control_port:
            self.servers.append(await asyncio.start_server(self._control, '127.0.0.1', self.args.control_port))
        await self._start_rmcp()
        self.mei = None
        if getattr(self.args, 'mei', False):
            self.mei = mei_standin.MEIStandIn(self, os.path.join(self.state_dir, 'mei'))
            self.mei.start(asyncio.get_running_loop())

    async def _listen(self, addr, port, device, tls, interface):
        async def handler(reader, writer):
            await self._connection(reader, writer, device, port, tls, interface)
        return await asyncio.start_server(handler, addr, port, backlog=128, reuse_address=True)

    async def _listen_raw(self, addr, port, fn):
        return await asyncio.start_server(fn, addr, port, backlog=128, reuse_address=True)

    async def stop(self):
        for server in self.servers:
            server.close()
        if getattr(self, 'mei', None) is not None:
            self.mei.stop()
        for device in self.devices.values():
            device.save()
        if self.log_fh:
            self.log_fh.close()

    # -- logging ----------------------------------------------------------------------------
    def log(self, device, port, status, req=None):
        # called before the answer is written: a client that has its answer finds the exchange logged
        if self.log_fh is None:
            return
        entry = {'device': device.address, 'port': port, 'status': status,
                 'action': getattr(req, 'action', None) or None, 'resource': getattr(req, 'resource_uri', None) or None}
        self.log_fh.write(json.dumps(entry) + '\n')

    # -- connections --------------------------------------------------------------------------
    def _fault_now(self, device):
        """Faults that apply to this exchange (honours 'after' and 'count')."""
        faults = device.state.get('faults') or {}
        if not faults:
            return {}
        if faults.get('after', 0) > 0:
            faults['after'] -= 1
            return {}
        active = dict(faults)
        if 'count' in faults:
            faults['count'] -= 1
            if faults['count'] <= 0:
                device.state['faults'] = {}
        return active

    @staticmethod
    def _reset(writer):
        sock = writer.get_extra_info('socket')
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            except OSError:
                pass
        writer.close()

    async def _connection(self, reader, writer, device, port, tls, interface):
        faults = device.state.get('faults') or {}
        if getattr(device, 'reboot_until', 0) > time.monotonic():
            self._reset(writer)
            return
        cap = faults.get('max_connections')
        if cap and device.active_connections >= int(cap):
            self._reset(writer)
            return
        device.active_connections += 1
        try:
            if not mei_standin.amt_enabled(device) or (
                    interface == 'local' and not tls and mei_standin.local_tls_enforced(device)) or (
                    interface == 'network' and not tls and firmware.remote_plain_refused(device)):
                # AMT disabled in the firmware: nothing answers; CSME 19 refuses non-TLS even locally (LMS
                # accepts, the firmware refuses its channel, LMS drops the connection)
                self._reset(writer)
                return
            if not tls_classes.port_open(device, tls, interface):
                self._reset(writer)       # committed TLS settings closed this port (plain HTTP or TLS off)
                return
            if tls:
                if faults.get('tls_delay'):
                    await asyncio.sleep(float(faults['tls_delay']))
                if device.ssl_context is None:
                    # the certificate amt_tls installed once committed, else the factory one
                    device.ssl_context = tls_classes.listener_context(device, self.ca)
                if interface == 'local' and device.state.get('hbc'):
                    # Secure Host-Based Configuration open (MEI StartConfigurationHBased): ask for the client's
                    # provisioning certificate (tests/simulator/client_cert.py), judged in mei_standin.hbc_client_ok
                    from tests.simulator import client_cert
                    await writer.start_tls(client_cert.request_any_client_certificate(
                        tls_classes.listener_context(device, self.ca)))
                    chain = client_cert.peer_chain(writer.get_extra_info('ssl_object'))
                    if chain:
                        if not mei_standin.hbc_client_ok(device, chain):
                            self._reset(writer)     # refused client certificate: the handshake's end is ours
                            return
                        writer.oob_hbc = True
                else:
                    await writer.start_tls(device.ssl_context)
            while True:
                try:
                    request = await read_request(reader)
                except (ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    writer.write(b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
                    await writer.drain()
                    break
                if request is None:
                    break
                keep = await self._exchange(request, writer, reader, device, port, tls, interface)
                if not keep:
                    break
        except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        except Exception:  # a bug in a handler must not kill the fleet
            import traceback
            traceback.print_exc()
        finally:
            device.active_connections -= 1
            try:
                writer.close()
            except Exception:
                pass

    def _headers(self, device, status, reason, ctype, extra=None):
        version = device.state['amt_version']
        lines = ['HTTP/1.1 %d %s' % (status, reason), 'Date: %s' % _date(),
                 'Server: Intel(R) Active Management Technology %s' % version, 'X-Frame-Options: DENY']
        if ctype:
            lines.append('Content-Type: %s' % ctype)
        lines += extra or []
        return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')

    def _soap_ctype(self, device):
        if device.state['amt_version'].startswith('16'):
            return 'application/soap+xml;charset=UTF-8'
        return 'application/soap+xml; charset=UTF-8'

    async def _exchange(self, request, writer, reader, device, port, tls, interface):
        faults = self._fault_now(device)
        if faults.get('latency'):
            await asyncio.sleep(float(faults['latency']))
        if faults.get('never_answer'):
            self.log(device, port, 0)
            while await reader.read(65536):
                pass
            return False
        if faults.get('http_500'):
            body = b'<html><body>Internal Error</body></html>'
            self.log(device, port, 500)
            writer.write(self._headers(device, 500, 'Internal Error', 'text/html',
                                       ['Content-Length: %d' % len(body), 'Connection: close']) + body)
            await writer.drain()
            return False
        if faults.get('http_400_empty'):
            self.log(device, port, 400)
            writer.write(self._headers(device, 400, 'Bad Request', None, ['Content-Length: 0']))
            await writer.drain()
            return True

        close_after = request.headers.get('connection', '').lower() == 'close'
        if request.method != 'POST':
            body = b'Method not allowed'
            writer.write(self._headers(device, 405, 'Method Not Allowed', 'text/plain',
                                       ['Content-Length: %d' % len(body)]) + body)
            self.log(device, port, 405)
            await writer.drain()
            return not close_after
        if request.path.split('?')[0] != '/wsman':
            body = b'<html><body>Not Found</body></html>'
            self.log(device, port, 404)
            writer.write(self._headers(device, 404, 'Not Found', 'text/html', ['Content-Length: %d' % len(body)]) + body)
            await writer.drain()
            return not close_after

        parsed = None
        parse_fault = None
        try:
            parsed = soap.Request(request.body)
        except SoapFault as fault:
            parse_fault = fault
        identify = parsed is not None and parsed.is_identify
        username = None
        hbc = bool(getattr(writer, 'oob_hbc', False) and device.state.get('hbc'))
        if hbc and not identify:
            # the provisioning certificate authenticated this connection; whether firmware still checks the digest
            # rpc-go sends (admin + the new password, not set yet) is unknown: not checked here (ours)
            username = device.state['admin_username']
        elif not identify:
            ok, stale, username = self._authenticate(device, request, interface, faults)
            if not ok:
                nonce = base64.b64encode(os.urandom(24)).decode('ascii')
                device.nonces[nonce] = {'created': time.monotonic(), 'nc': 0}
                if len(device.nonces) > 64:
                    device.nonces.pop(next(iter(device.nonces)))
                challenge = 'Digest realm="%s", nonce="%s",stale="%s",qop="%s"' % (
                    device.state['realm'], nonce, 'true' if stale else 'false', device.state.get('qop_variant', 'auth'))
                writer.write(self._headers(device, 401, 'Unauthorized', 'text/html',
                                           ['WWW-Authenticate: %s' % challenge, 'Content-Length: %d' % len(HTML_401),
                                            'Connection: close']) + HTML_401)
                self.log(device, port, 401, parsed)
                await writer.drain()
                return False

        ctx = Context(interface=interface, tls=tls, username=username, fleet=self)
        ctx.hbc = hbc
        if (parsed is not None and (parsed.action or '').endswith('/enumeration/Enumerate')
                and '/amt-schema/' in (parsed.resource_uri or '') and firmware.enumerate_amt_refused(device)):
            # AMT 10: Enumerate of AMT_ classes is a bare 400 (tests/simulator/firmware.py)
            self.log(device, port, 400, parsed)
            writer.write(self._headers(device, 400, 'Bad Request', None, ['Content-Length: 0', 'Connection: close']))
            await writer.drain()
            return False
        message_id = device.next_message_id()
        if parse_fault is not None:
            status, payload = 400, soap.fault_envelope(None, message_id, parse_fault.subcode, parse_fault.reason)
        elif identify:
            status, payload = 200, soap.identify_envelope(device.state['amt_version'])
        else:
            try:
                status, payload, mutated = 200, self.dispatch(device, parsed, ctx, message_id), True
                if mutated and not (parsed.action or '').endswith(('/Get', '/Enumerate', '/Pull', '/Release')):
                    device.save()
            except SoapFault as fault:
                status, payload = 400, soap.fault_envelope(parsed.message_id, message_id, fault.subcode, fault.reason,
                                                           fault.detail)
        if faults.get('garbage'):
            payload = b'\x00\x13garbage\xff\xfe not xml at all <<<' + os.urandom(32)
            status = 200
        if faults.get('truncated'):
            payload = payload[:len(payload) // 2]
            status = 200
        reason = {200: 'OK', 400: 'Bad Request'}.get(status, 'OK')
        # firmware closes the connection after a fault (captures: RPS wsmanAlreadyExistsAllChunks, GW amterror test)
        close_after = close_after or status == 400
        head = self._headers(device, status, reason, self._soap_ctype(device), ['Transfer-Encoding: chunked'] +
                             (['Connection: close'] if close_after else []))
        data = head + _chunked(payload)
        if faults.get('drop'):
            self.log(device, port, status, parsed)
            writer.write(data[:len(head) + len(data[len(head):]) // 2])
            await writer.drain()
            self._reset(writer)
            return False
        self.log(device, port, status, parsed)
        writer.write(data)
        await writer.drain()
        if getattr(device, 'drop_connection', False):
            device.drop_connection = False    # a committed TLS change closes the connection that made it
            return False
        return not close_after

    def _authenticate(self, device, request, interface, faults):
        """(ok, stale, username)."""
        params = parse_auth_header(request.headers.get('authorization'))
        if not params:
            return False, False, None
        if faults.get('lockout') or device.state.get('locked'):
            return False, False, None
        nonce = params.get('nonce')
        username = params.get('username')
        state = device.state
        # Setup/AdminSetup store only the digest A1 hash (MD5 of admin:realm:password), as firmware does.
        admin_ha1 = state.get('admin_ha1') or _md5(
            '%s:%s:%s' % (state['admin_username'], state['realm'], state['admin_password']))
        creds = {state['admin_username']: admin_ha1}
        # the local system account is for host-based activation: accepted until the device is provisioned (rpc-go
        # uses it only to activate and switches to admin afterwards; docs/dev/fidelity.md: unverified on hardware)
        if interface == 'local' and state.get('local_username') and state.get('provisioning_state') != 2:
            creds[state['local_username']] = _md5(
                '%s:%s:%s' % (state['local_username'], state['realm'], state.get('local_password', '')))
        for user in state.get('users') or []:   # digest users added with AddUserAclEntryEx (classes/users.py)
            if user.get('access') == 2 or user.get('access') == (0 if interface == 'local' else 1):
                creds.setdefault(user['name'], user['ha1'])
        ha1 = creds.get(username)
        if ha1 is None or params.get('realm') != state['realm']:
            return False, False, None
        ha2 = _md5('%s:%s' % (request.method, params.get('uri', '')))
        qop = params.get('qop')
        if qop:
            if qop != 'auth':
                return False, False, None
            expected = _md5('%s:%s:%s:%s:%s:%s' % (ha1, nonce, params.get('nc', ''), params.get('cnonce', ''), qop, ha2))
        else:
            expected = _md5('%s:%s:%s' % (ha1, nonce, ha2))
        if expected != params.get('response'):
            return False, False, None
        record = device.nonces.get(nonce)
        if record is None or time.monotonic() - record['created'] > NONCE_LIFETIME:
            device.nonces.pop(nonce, None)
            return False, True, None          # right password, old nonce: stale
        if qop:
            try:
                nc = int(params.get('nc', '0'), 16)
            except ValueError:
                return False, False, None
            if nc <= record['nc']:
                return False, False, None     # replayed nonce count
            record['nc'] = nc
        return True, False, username

    # -- WS-Man dispatch ------------------------------------------------------------------------
    def dispatch(self, device, req, ctx, message_id):
        action = req.action
        uri = req.resource_uri
        if not action:
            raise SoapFault('InvalidMessageInformationHeader', 'The Action header is missing.')
        if not uri:
            raise SoapFault('DestinationUnreachable')
        if action == XFER + 'Get':
            h = self._handler(uri)
            inst = h.get(device, req.selectors, ctx)
            body = soap.instance_xml('g', inst.get('_class', h.name), inst, 'h')
            return soap.envelope(req.message_id, action + 'Response', message_id, uri, body, uri, registry_ns_common())
        if action == XFER + 'Put':
            h = self._handler(uri)
            if req.payload is None or soap._local(req.payload) != h.name:
                raise SoapFault('SchemaValidationError')
            inst = h.put(device, req.selectors, req.params(), ctx)
            body = soap.instance_xml('g', h.name, inst, 'h')
            return soap.envelope(req.message_id, action + 'Response', message_id, uri, body, uri, registry_ns_common())
        if action == XFER + 'Create':
            h = self._handler(uri)
            if req.payload is None or soap._local(req.payload) != h.name:
                raise SoapFault('SchemaValidationError')
            epr = h.create(device, req.params(), ctx)
            inner = soap.prop_xml('g', 'ResourceCreated', epr, 'h')
            return soap.envelope(req.message_id, action + 'Response', message_id, uri, inner, soap.NS_WXF)
        if action == XFER + 'Delete':
            h = self._handler(uri)
            h.delete(device, req.selectors, ctx)
            return soap.envelope(req.message_id, action + 'Response', message_id, uri, '', soap.NS_WXF)
        if action == ENUM + 'Enumerate':
            return self._enumerate(device, req, ctx, message_id)
        if action == ENUM + 'Pull':
            return self._pull(device, req, message_id)
        if action == ENUM + 'Release':
            context, _unused = req.pull_options()
            if device.enumerations.pop(context, None) is None:
                raise SoapFault('InvalidEnumerationContext')
            return soap.envelope(req.message_id, action + 'Response', message_id, uri, '', soap.NS_WSEN)
        if action.startswith('http://schemas.xmlsoap.org/ws/2004/08/eventing/'):
            h = self._handler(uri)
            if not hasattr(h, 'eventing'):
                raise SoapFault('ActionNotSupported')
            body, ns = h.eventing(device, req, ctx)
            return soap.envelope(req.message_id, action + 'Response', message_id, uri, body, ns, registry_ns_common())
        if action.startswith(uri + '/'):
            h = self._handler(uri)
            method = action[len(uri) + 1:]
            if req.payload is None or soap._local(req.payload) != method + '_INPUT':
                if getattr(h, 'method_' + method, None) is None:
                    raise SoapFault('ActionNotSupported')
                raise SoapFault('SchemaValidationError')
            outputs = h.invoke(device, method, req.params(), ctx)
            inner = ''.join(soap.prop_xml('g', k, v, 'h') for k, v in outputs.items())
            body = '<g:%s_OUTPUT>%s</g:%s_OUTPUT>' % (method, inner, method)
            return soap.envelope(req.message_id, action + 'Response', message_id, uri, body, uri, registry_ns_common())
        raise SoapFault('ActionNotSupported')

    @staticmethod
    def _handler(uri):
        h = registry.handler_for(uri)
        if h is None or registry.uri_of(h.name) != uri:
            raise SoapFault('DestinationUnreachable')
        return h

    def _items_xml(self, items, main_ns):
        parts = []
        for cls, inst in items:
            uri = registry.uri_of(cls)
            if uri == main_ns:
                parts.append(soap.instance_xml('h', cls, inst, 'i'))
            else:
                parts.append(soap.instance_xml('j', cls, inst, 'i', xmlns=uri))
        return ''.join(parts)

    def _enumerate(self, device, req, ctx, message_id):
        uri = req.resource_uri
        handlers = registry.enumeration_handlers(uri)
        if not handlers:
            raise SoapFault('DestinationUnreachable')
        items = [(inst.get('_class', h.name), inst) for h in handlers for inst in h.instances(device, ctx)]
        opts = req.enumerate_options()
        main_ns = registry.uri_of(items[0][0]) if items else uri
        if opts['optimize']:
            first, rest = items[:opts['max_elements']], items[opts['max_elements']:]
            context = device.new_context(rest) if rest else None
            body = '<g:EnumerateResponse>%s<c:Items>%s</c:Items>%s</g:EnumerateResponse>' % (
                '<g:EnumerationContext>%s</g:EnumerationContext>' % context if context else '',
                self._items_xml(first, main_ns), '' if rest else '<c:EndOfSequence></c:EndOfSequence>')
        else:
            context = device.new_context(items)
            body = '<g:EnumerateResponse><g:EnumerationContext>%s</g:EnumerationContext></g:EnumerateResponse>' % context
        return soap.envelope(req.message_id, req.action + 'Response', message_id, uri, body, soap.NS_WSEN, main_ns,
                             registry_ns_common())

    def _pull(self, device, req, message_id):
        context, max_elements = req.pull_options()
        record = device.enumerations.get(context)
        if record is None:
            raise SoapFault('InvalidEnumerationContext')
        items = record['items']
        batch, rest = items[:max_elements], items[max_elements:]
        main_ns = registry.uri_of(batch[0][0]) if batch else req.resource_uri
        if rest:
            record['items'] = rest
            ctx_xml = '<g:EnumerationContext>%s</g:EnumerationContext>' % context
            end = ''
        else:
            device.enumerations.pop(context, None)
            ctx_xml = ''
            end = '<g:EndOfSequence></g:EndOfSequence>'
        body = '<g:PullResponse>%s<g:Items>%s</g:Items>%s</g:PullResponse>' % (ctx_xml, self._items_xml(batch, main_ns), end)
        return soap.envelope(req.message_id, req.action + 'Response', message_id, req.resource_uri, body, soap.NS_WSEN,
                             main_ns, registry_ns_common())

    # -- ASF/RMCP presence pong (UDP) --------------------------------------------------------------
    async def _start_rmcp(self):
        """A UDP responder per AMT device (and per spec 'rmcp_only' address, like a server BMC).

        Written independently of plugins/module_utils/host/rmcp.py on purpose, so an encoding mistake there is
        not mirrored here. Non-AMT neighbours (non_amt_http, blackhole) stay silent, as does a device whose
        state has rmcp_ping: false (AMT with the ping response disabled).
        """
        port = getattr(self.args, 'rmcp_port', 623)
        if not port:
            return
        loop = asyncio.get_running_loop()
        targets = list(self.devices.items())
        targets += [(addr, None) for addr in self.spec.get('rmcp_only', [])]
        for addr, device in targets:
            try:
                transport, _proto = await loop.create_datagram_endpoint(
                    lambda device=device: _RmcpResponder(self, device), local_addr=(addr, port))
            except OSError as exc:
                sys.stderr.write('simulator: WARNING: RMCP presence pong disabled, cannot bind UDP %s:%d: %s\n'
                                 % (addr, port, exc))
                sys.stderr.flush()
                for server in self.servers:
                    if isinstance(server, asyncio.DatagramTransport):
                        server.close()
                self.servers = [s for s in self.servers if not isinstance(s, asyncio.DatagramTransport)]
                return
            self.servers.append(transport)

    def rmcp_pong(self, device, tag):
        """The Presence Pong an AMT device sends (Intel AMT SDK, 'Use RMCP Ping to Determine the Platform State').

        RMCP 06 00 FF 06, ASF header with IANA 4542, type 0x40, the ping's tag, data length 0x10; data: IANA 343
        (Intel, not 4542: AMT fills the OEM-defined field), OEM = web-services port (16993 with TLS, 16992
        without, 0 before setup; big-endian), version byte (major << 4 | minor, 0 if the major does not fit
        in 4 bits, then reserved bytes 1-2 = major, minor), provisioning state; supported entities 0x01
        (ASF 1.0, no IPMI: AMT is not an IPMI BMC); supported interactions 0x20 (DASH, AMT 5.1 and later).
        A device without state (spec 'rmcp_only') answers like a generic IPMI BMC: IANA 4542, OEM 0,
        entities 0x81 (IPMI + ASF 1.0), interactions 0x80 (RMCP security extensions).
        """
        if device is None:
            data = struct.pack('!I4sBB6s', 4542, b'\x00' * 4, 0x81, 0x80, b'\x00' * 6)
        else:
            state = device.state
            prov = int(state.get('provisioning_state') or 0)
            tls = self.ca is not None and not self.args.http_only
            web_port = 0 if prov == 0 else (16993 if tls else 16992)
            try:
                major, minor = [int(x) for x in str(state.get('amt_version', '0.0')).split('.')[:2]]
            except ValueError:
                major, minor = 0, 0
            version = (major << 4 | minor) if major < 16 and minor < 16 else 0
            extra = bytes([major & 0xFF, minor & 0xFF]) if not version else b'\x00\x00'
            data = struct.pack('!IHBBBB6s', 343, web_port, version, prov & 0xFF, 0x01, 0x20, extra + b'\x00' * 4)
        return struct.pack('!BBBBIBBBB', 0x06, 0x00, 0xFF, 0x06, 4542, 0x40, tag, 0x00, len(data)) + data

    # -- non-AMT neighbours -------------------------------------------------------------------
    async def _non_amt(self, reader, writer):
        try:
            req = await read_request(reader)
            if req is not None:
                body = b'<html><body><h1>It works!</h1></body></html>'
                writer.write(b'HTTP/1.1 200 OK\r\nServer: Apache/2.4.57 (Debian)\r\nContent-Type: text/html\r\n'
                             b'Content-Length: %d\r\nConnection: close\r\n\r\n' % len(body) + body)
                await writer.drain()
        except Exception:
            pass
        finally:
            writer.close()

    async def _blackhole(self, reader, writer):
        try:
            while await reader.read(65536):
                pass
        except Exception:
            pass
        finally:
            writer.close()

    # -- control API ------------------------------------------------------------------------------
    async def _control(self, reader, writer):
        try:
            req = await read_request(reader)
            if req is None:
                return
            status, result = self.control(req.method, req.path, json.loads(req.body or b'null'))
            body = json.dumps(result).encode()
            writer.write(b'HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n'
                         b'Connection: close\r\n\r\n' % (status, len(body)) + body)
            await writer.drain()
        except Exception as exc:
            body = json.dumps({'error': str(exc)}).encode()
            writer.write(b'HTTP/1.1 500 X\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % len(body) + body)
        finally:
            writer.close()

    def control(self, method, path, data):
        parts = [p for p in path.split('/') if p]
        if parts == ['devices'] and method == 'GET':
            return 200, list(self.devices)
        if len(parts) >= 2 and parts[0] == 'devices':
            device = self.devices.get(parts[1])
            if device is None:
                return 404, {'error': 'no such device'}
            if len(parts) == 2 and method == 'GET':
                return 200, device.state
            if len(parts) == 2 and method == 'PATCH':
                deep_merge(device.state, data or {})
                self._arm_faults(device)
                device.save()
                return 200, device.state
            if len(parts) == 3 and parts[2] == 'faults' and method == 'PUT':
                device.state['faults'] = data or {}
                self._arm_faults(device)
                device.save()
                return 200, device.state['faults']
            route = registry.CONTROL_ROUTES.get((method, parts[2])) if len(parts) == 3 else None
            if route is not None:
                status, result = route(device, data, self)
                device.save()
                return status, result
            if len(parts) == 3 and parts[2] == 'host-boot' and method == 'POST':
                registry.fire('host_boot', device)
                device.save()
                return 200, device.state
        return 404, {'error': 'unknown control request'}


class _RmcpResponder(asyncio.DatagramProtocol):
    """Answers a well-formed ASF Presence Ping with a Presence Pong; anything else is dropped, like firmware."""

    def __init__(self, fleet, device):
        self.fleet = fleet
        self.device = device
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        if len(data) != 12:
            return
        version, _res, _seq, klass, iana, mtype, tag, _res2, length = struct.unpack('!BBBBIBBBB', data)
        if version != 0x06 or klass != 0x06 or iana != 4542 or mtype != 0x80 or length != 0:
            return
        if self.device is not None and self.device.state.get('rmcp_ping') is False:
            return
        try:
            self.transport.sendto(self.fleet.rmcp_pong(self.device, tag), addr)
        except OSError:
            pass

    def error_received(self, exc):
        pass


def registry_ns_common():
    return soap.NS_COMMON
