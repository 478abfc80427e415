# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_alerts: an Event-Driven Ansible source that receives the alerts Intel AMT devices push.

Devices subscribed with oob.amt.amt_alert_subscription POST WS-Eventing indications (a SOAP envelope with
Action http://schemas.dmtf.org/wbem/wsman/1/wsman/Event and a CIM_AlertIndication body) to this listener.
Each indication becomes one event on the queue:

    {"amt": {"host": "10.0.0.21", "message_id": "PLAT", "message": "Fan speed lower critical going low ...",
             "category": "hardware", "severity": "critical", "perceived_severity": 6, "alert_type": "environmental",
             "indication_time": "...", "filter": "Intel(r) AMT:AllEvents", "indication_id": "...",
             "arguments": [...], "argument": "floor-3", "record": {decoded event-log record or null}}}

Arguments:
  host      address to listen on (default 0.0.0.0)
  port      TCP port (default 5000)
  path      only accept POSTs to this path (default: any)
  username, password   digest credentials the devices were subscribed with (listener_username /
            listener_password); when set, unauthenticated requests get a digest challenge, like AMT's own
  realm     digest realm (default "oob.amt alerts")
  certfile, keyfile    serve HTTPS (for relays and test clients; AMT firmware itself pushes plain HTTP)
  max_body  largest accepted body in bytes (default 65536)

Example:
  sources:
    - oob.amt.amt_alerts:
        port: 5000
        username: amt-alerts
        password: "{{ alert_listener_password }}"
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import asyncio
import hashlib
import logging
import os
import re
import ssl
import sys
import time
import xml.etree.ElementTree as ET

try:
    # The event-record decoder of the collection (the same as amt_event_log uses). The source runs in
    # ansible-rulebook's Python, which does not know the collection loader: put its root on the path.
    _ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *(['..'] * 7)))
    if os.path.isdir(os.path.join(_ROOT, 'ansible_collections')) and _ROOT not in sys.path:
        sys.path.append(_ROOT)
    from ansible_collections.oob.amt.plugins.module_utils.amt.event_log import decode_record, EventLogError
except ImportError:  # pragma: no cover - only when the plugin file is used outside its collection
    decode_record = None
    EventLogError = ValueError

LOG = logging.getLogger('oob.amt.amt_alerts')

NS_SOAP = 'http://www.w3.org/2003/05/soap-envelope'
NS_WSA = 'http://schemas.xmlsoap.org/ws/2004/08/addressing'
NS_WSMAN = 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'
EVENT_ACTION = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/Event'
ACK_ACTION = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/Ack'

# CIM_AlertIndication.PerceivedSeverity and AlertType value maps (DMTF CIM schema).
PERCEIVED_SEVERITY = {0: 'unknown', 1: 'other', 2: 'information', 3: 'degraded', 4: 'minor', 5: 'major',
                      6: 'critical', 7: 'fatal'}
ALERT_TYPES = {1: 'other', 2: 'communications', 3: 'quality_of_service', 4: 'processing_error', 5: 'device',
               6: 'environmental', 7: 'model_change', 8: 'security'}
# AMT's own events (iAMT00xx message IDs, as the Intel LMS default alert table names them).
AMT_MESSAGES = {
    'iAMT0001': 'System Defense Policy triggered.', 'iAMT0002': 'Agent Presence Agent not started.',
    'iAMT0003': 'Agent Presence Agent stopped.', 'iAMT0004': 'Agent Presence: running.',
    'iAMT0005': 'Agent Presence: expired.', 'iAMT0006': 'Agent Presence: suspended.',
    'iAMT0007': 'Host software attempt to disable AMT Network link detected.',
    'iAMT0009': 'AMT clock or FLASH wear-out protection disabled.', 'iAMT0014': 'General certificate error.',
    'iAMT0015': 'Certificate expired.', 'iAMT0016': 'No trusted root certificate.',
    'iAMT0018': 'Certificate revoked.', 'iAMT0024': 'General SSL handshake error.',
    'iAMT0029': 'Audit log storage is 50% full.', 'iAMT0033': 'Audit log storage is full.',
    'iAMT0034': 'Firmware Update Event - Partial.', 'iAMT0035': 'Firmware Update Event - Failure.',
    'iAMT0036': 'Remote connectivity initiated.', 'iAMT0037': 'ME Presence event.',
    'iAMT0038': 'AMT is being unprovisioned.', 'iAMT0050': 'User Notification Alert - General Notification.',
    'iAMT0052': 'User Notification Alert - KVM session event.', 'iAMT0055': 'Provisioning state change notification.',
    'iAMT0059': 'KVM enabled event.', 'iAMT0061': 'ME FW reset occurred.', 'iAMT0064': 'User Consent event.',
}
HARDWARE_SENSORS = {'temperature', 'voltage', 'current', 'fan', 'physical_security', 'processor', 'power_supply',
                    'power_unit', 'cooling_device', 'memory', 'critical_interrupt'}
BOOT_SENSORS = {'boot_error', 'os_boot', 'os_critical_stop', 'watchdog', 'system_firmware_progress',
                'entity_presence'}
SECURITY_SENSORS = {'platform_security', 'amt_security_policy'}
PET_SEVERITY_AS_CIM = {'critical': 'critical', 'non_recoverable': 'fatal', 'non_critical': 'degraded'}
_DOCTYPE = re.compile(br'<!\s*(DOCTYPE|ENTITY)', re.IGNORECASE)


class BadIndication(ValueError):
    pass


def _local(tag):
    return tag.rsplit('}', 1)[-1] if isinstance(tag, str) else ''


def parse_indication(body):
    """SOAP bytes -> (properties dict, header dict). Raises BadIndication."""
    if _DOCTYPE.search(body[:4096]):
        raise BadIndication('DOCTYPE/ENTITY declarations are refused')
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise BadIndication('not XML: %s' % exc)
    if root.tag != '{%s}Envelope' % NS_SOAP:
        raise BadIndication('not a SOAP 1.2 envelope')
    header = root.find('{%s}Header' % NS_SOAP)
    body_el = root.find('{%s}Body' % NS_SOAP)
    head = {}
    if header is not None:
        for el in header:
            name = _local(el.tag)
            if name == 'ReplyTo':
                continue
            head[name] = (el.text or '').strip()
            if name not in ('Action', 'MessageID', 'To', 'ResourceURI', 'AckRequested'):
                head[name] = ''.join(t.strip() for t in el.itertext())
    indication = None
    for el in (body_el if body_el is not None else []):
        if _local(el.tag).endswith('Indication'):
            indication = el
            break
    if indication is None:
        raise BadIndication('the body holds no CIM indication')
    props = {'_class': _local(indication.tag)}
    for el in indication:
        name = _local(el.tag)
        kids = list(el)
        value = (kids[0].text if kids else el.text) or ''
        value = value.strip()
        if name == 'MessageArguments':
            props.setdefault(name, []).append(value)
        else:
            props[name] = value
    return props, head


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def decode_indication(props, head, host):
    """The event put on the queue for one indication."""
    record = None
    for arg in props.get('MessageArguments', []):
        if decode_record is None or len(arg) != 28:       # 21 bytes in base64
            continue
        try:
            record = decode_record(arg)
        except EventLogError:
            record = None
        if record:
            break
    perceived = _int(props.get('PerceivedSeverity'), 0)
    message_id = props.get('MessageID') or ''
    event = {
        'host': host,
        'message_id': message_id,
        'message': props.get('Message') or AMT_MESSAGES.get(message_id[:8], ''),
        'perceived_severity': perceived,
        'severity': PERCEIVED_SEVERITY.get(perceived, 'unknown'),
        'alert_type': ALERT_TYPES.get(_int(props.get('AlertType'), 1), 'other'),
        'indication_time': props.get('IndicationTime'),
        'filter': props.get('IndicationFilterName'),
        'indication_id': props.get('IndicationIdentifier'),
        'owning_entity': props.get('OwningEntity'),
        'arguments': props.get('MessageArguments', []),
        'argument': head.get('arg') or None,
        'record': record,
        'category': 'amt' if message_id.startswith('iAMT') else 'other',
    }
    if record:
        event['message'] = event['message'] or record['description']
        event['severity'] = PET_SEVERITY_AS_CIM.get(record['severity'], event['severity'])
        kind = record['sensor_type_name']
        event['sensor_type'] = kind
        event['category'] = ('hardware' if kind in HARDWARE_SENSORS else 'boot' if kind in BOOT_SENSORS
                             else 'security' if kind in SECURITY_SENSORS else 'platform')
        if kind == 'system_firmware_progress' and record['event_offset'] != 0:
            event['category'] = 'boot_progress'
    return event


class DigestGuard(object):
    """Server side of HTTP digest (RFC 7616, MD5, qop=auth): what AMT answers to when subscribed with credentials."""

    def __init__(self, username, password, realm, lifetime=300):
        self.username = username
        self.password = password
        self.realm = realm
        self.lifetime = lifetime
        self.nonces = {}

    def challenge(self):
        now = time.time()
        for nonce in [n for n, t in self.nonces.items() if now - t > self.lifetime]:
            del self.nonces[nonce]
        nonce = os.urandom(16).hex()
        self.nonces[nonce] = now
        return 'Digest realm="%s", nonce="%s", qop="auth", algorithm=MD5' % (self.realm, nonce)

    @staticmethod
    def _fields(header):
        return dict((k, v1 or v2) for k, v1, v2 in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]*))', header))

    def check(self, method, header):
        if not header or not header.startswith('Digest '):
            return False
        f = self._fields(header[7:])
        if f.get('username') != self.username or f.get('realm') != self.realm or f.get('nonce') not in self.nonces:
            return False
        ha1 = hashlib.md5(('%s:%s:%s' % (self.username, self.realm, self.password)).encode()).hexdigest()
        ha2 = hashlib.md5(('%s:%s' % (method, f.get('uri', ''))).encode()).hexdigest()
        if f.get('qop'):
            expected = hashlib.md5(('%s:%s:%s:%s:%s:%s' % (ha1, f['nonce'], f.get('nc', ''), f.get('cnonce', ''),
                                                           f['qop'], ha2)).encode()).hexdigest()
        else:
            expected = hashlib.md5(('%s:%s:%s' % (ha1, f['nonce'], ha2)).encode()).hexdigest()
        return _equal(expected, f.get('response', ''))


def _equal(a, b):
    import hmac
    return hmac.compare_digest(a.encode(), b.encode())


def _ack(message_id):
    return ('<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="%s" xmlns:a="%s"><s:Header>'
            '<a:Action>%s</a:Action><a:RelatesTo>%s</a:RelatesTo></s:Header><s:Body/></s:Envelope>'
            % (NS_SOAP, NS_WSA, ACK_ACTION, message_id)).encode()


async def _read_request(reader, max_body):
    line = await reader.readline()
    if not line:
        return None
    parts = line.decode('latin-1').split()
    if len(parts) != 3:
        raise BadIndication('bad request line')
    headers = {}
    while True:
        h = await reader.readline()
        if h in (b'\r\n', b'\n', b''):
            break
        if b':' in h:
            k, v = h.decode('latin-1').split(':', 1)
            headers[k.strip().lower()] = v.strip()
        if len(headers) > 100:
            raise BadIndication('too many headers')
    body = b''
    if headers.get('transfer-encoding', '').lower() == 'chunked':
        while True:
            size = int((await reader.readline()).split(b';')[0].strip() or b'0', 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
            if len(body) > max_body:
                raise BadIndication('body too large')
    else:
        length = int(headers.get('content-length') or 0)
        if length > max_body:
            raise BadIndication('body too large')
        body = await reader.readexactly(length) if length else b''
    return parts[0], parts[1], headers, body


def _response(status, reason, body=b'', extra=None):
    head = ['HTTP/1.1 %d %s' % (status, reason), 'Content-Length: %d' % len(body)]
    if body:
        head.append('Content-Type: application/soap+xml;charset=UTF-8')
    head.extend(extra or [])
    return ('\r\n'.join(head) + '\r\n\r\n').encode() + body


class Listener(object):
    def __init__(self, queue, args):
        self.queue = queue
        self.path = args.get('path')
        self.max_body = int(args.get('max_body') or 65536)
        self.guard = None
        if args.get('username'):
            if not args.get('password'):
                raise ValueError('amt_alerts: username needs password')
            self.guard = DigestGuard(args['username'], args['password'], args.get('realm') or 'oob.amt alerts')
        self.received = 0

    async def handle(self, reader, writer):
        peer = (writer.get_extra_info('peername') or ('?',))[0]
        try:
            while True:
                try:
                    req = await asyncio.wait_for(_read_request(reader, self.max_body), timeout=30)
                except (BadIndication, ValueError) as exc:
                    writer.write(_response(400, 'Bad Request', extra=['Connection: close']))
                    LOG.warning('amt_alerts: bad request from %s: %s', peer, exc)
                    break
                if req is None:
                    break
                method, target, headers, body = req
                writer.write(await self.answer(peer, method, target, headers, body))
                await writer.drain()
                if headers.get('connection', '').lower() == 'close':
                    break
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def answer(self, peer, method, target, headers, body):
        if method != 'POST':
            return _response(405, 'Method Not Allowed', extra=['Allow: POST'])
        if self.path and target.split('?', 1)[0] != self.path:
            return _response(404, 'Not Found')
        if self.guard is not None and not self.guard.check(method, headers.get('authorization')):
            return _response(401, 'Unauthorized', extra=['WWW-Authenticate: ' + self.guard.challenge()])
        try:
            props, head = parse_indication(body)
        except BadIndication as exc:
            LOG.warning('amt_alerts: %s sent something that is not an indication: %s', peer, exc)
            return _response(400, 'Bad Request')
        event = decode_indication(props, head, peer)
        self.received += 1
        await self.queue.put({'amt': event})
        if 'AckRequested' in head:
            return _response(200, 'OK', _ack(head.get('MessageID', '')))
        return _response(200, 'OK')


async def main(queue, args):
    """ansible-rulebook entry point."""
    listener = Listener(queue, args)
    context = None
    if args.get('certfile'):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args['certfile'], args.get('keyfile'))
    server = await asyncio.start_server(listener.handle, args.get('host') or '0.0.0.0', int(args.get('port') or 5000),
                                        ssl=context)
    LOG.info('amt_alerts: listening on %s', ', '.join(str(s.getsockname()) for s in server.sockets))
    async with server:
        await server.serve_forever()


if __name__ == '__main__':
    # Run by hand: python amt_alerts.py [port] -> prints the events devices push.
    class _Print(object):
        async def put(self, event):
            print(event)

    asyncio.run(main(_Print(), {'port': int(sys.argv[1]) if len(sys.argv) > 1 else 5000}))
