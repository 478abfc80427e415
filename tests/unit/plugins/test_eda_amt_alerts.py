"""The amt_alerts Event-Driven Ansible source: indication parsing, decoding, digest, HTTP answers.

CAPTURED is a CIM_AlertIndication envelope as AMT pushed it, published in an Intel AMT notification-service
sample (Apache-2.0, Copyright 2019 Intel Corporation; found through the code index, see docs/dev/alerts.md).
"""
import asyncio
import base64
import hashlib
import importlib.util
import os
import struct

import pytest

from tests.integration.runner import REPO

PATH = os.path.join(REPO, 'extensions', 'eda', 'plugins', 'event_source', 'amt_alerts.py')
spec = importlib.util.spec_from_file_location('amt_alerts', PATH)
amt_alerts = importlib.util.module_from_spec(spec)
spec.loader.exec_module(amt_alerts)

CAPTURED = (
    b'<?xml version="1.0" encoding="UTF-8"?><a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope" '
    b'xmlns:b="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:c="http://schemas.dmtf.org/wbem/wsman/1/'
    b'wsman.xsd" xmlns:d="http://schemas.xmlsoap.org/ws/2005/02/trust" xmlns:e="http://docs.oasis-open.org/wss/'
    b'2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:f="http://schemas.dmtf.org/wbem/wsman/1/'
    b'cimbinding.xsd" xmlns:g="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_AlertIndication" '
    b'xmlns:h="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    b'<a:Header><b:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:To><b:ReplyTo><b:Address>'
    b'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:Address></b:ReplyTo><c:AckRequested>'
    b'</c:AckRequested><b:Action a:mustUnderstand="true">http://schemas.dmtf.org/wbem/wsman/1/wsman/Event'
    b'</b:Action><b:MessageID>uuid:00000000-8086-8086-8086-000000128538</b:MessageID><c:ResourceURI>'
    b'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_AlertIndication</c:ResourceURI></a:Header><a:Body>'
    b'<g:CIM_AlertIndication><g:AlertType>8</g:AlertType><g:AlertingElementFormat>2</g:AlertingElementFormat>'
    b'<g:AlertingManagedElement>Interop:CIM_ComputerSystem.CreationClassName=&quot;CIM_ComputerSystem&quot;,'
    b'Name=&quot;Intel(r) AMT&quot;</g:AlertingManagedElement><g:IndicationFilterName>Intel(r) AMT:AllEvents'
    b'</g:IndicationFilterName><g:IndicationIdentifier>Intel(r):2950234687</g:IndicationIdentifier>'
    b'<g:IndicationTime><h:Datetime>2017-01-31T15:40:09.000Z</h:Datetime></g:IndicationTime><g:Message>'
    b'</g:Message><g:MessageArguments>0</g:MessageArguments><g:MessageArguments>Interop:CIM_ComputerSystem.'
    b'CreationClassName=CIM_ComputerSystem,Name=Intel(r) AMT</g:MessageArguments><g:MessageID>iAMT0005'
    b'</g:MessageID><g:OtherAlertingElementFormat></g:OtherAlertingElementFormat><g:OtherSeverity>'
    b'</g:OtherSeverity><g:OwningEntity>Intel(r) AMT</g:OwningEntity><g:PerceivedSeverity>2</g:PerceivedSeverity>'
    b'<g:ProbableCause>0</g:ProbableCause><g:SystemName>Intel(r) AMT</g:SystemName></g:CIM_AlertIndication>'
    b'</a:Body></a:Envelope>')


def pet_indication(record, argument=None):
    arg = b'<m:arg xmlns:m="http://x.com">%s</m:arg>' % argument.encode() if argument else b''
    return CAPTURED.replace(b'<g:MessageID>iAMT0005', b'<g:MessageID>PLAT').replace(
        b'<g:MessageArguments>0</g:MessageArguments>', b'<g:MessageArguments>%s</g:MessageArguments>' % record
    ).replace(b'<g:PerceivedSeverity>2', b'<g:PerceivedSeverity>6').replace(b'<g:AlertType>8', b'<g:AlertType>6'
                                                                            ).replace(b'</a:Header>', arg + b'</a:Header>')


def test_captured_indication():
    props, head = amt_alerts.parse_indication(CAPTURED)
    assert head['Action'] == amt_alerts.EVENT_ACTION and 'AckRequested' in head
    event = amt_alerts.decode_indication(props, head, '10.0.0.21')
    assert event['message_id'] == 'iAMT0005'
    assert event['message'] == 'Agent Presence: expired.'
    assert event['severity'] == 'information' and event['alert_type'] == 'security'
    assert event['indication_time'] == '2017-01-31T15:40:09.000Z'
    assert event['filter'] == 'Intel(r) AMT:AllEvents' and event['indication_id'] == 'Intel(r):2950234687'
    assert event['category'] == 'amt' and event['record'] is None and event['host'] == '10.0.0.21'


def test_platform_event_record_is_decoded():
    # the reference event-log record (go-wsman-messages getrecords capture) and a fan failure
    props, head = amt_alerts.parse_indication(pet_indication(b'Y8iYZf8GbwVoEP8mYaoKAAAAAAAA'))
    event = amt_alerts.decode_indication(props, head, 'h')
    assert event['category'] == 'security'
    assert event['message'] == 'Authentication failed 10 times. The system may be under attack.'
    fan = base64.b64encode(struct.pack('<I', 1795900000) + bytes([0xFF, 4, 1, 2, 0x68, 16, 0xFF, 29, 0, 0x52] +
                                                                 [0] * 7))
    props, head = amt_alerts.parse_indication(pet_indication(fan, argument='floor-3'))
    event = amt_alerts.decode_indication(props, head, 'h')
    assert event['category'] == 'hardware' and event['sensor_type'] == 'fan' and event['severity'] == 'critical'
    assert event['message'] == 'Fan speed lower critical going low (fan failure)'
    assert event['argument'] == 'floor-3' and event['record']['entity'] == 'Fan cooling'


@pytest.mark.parametrize('body,match', [
    (b'not xml', 'not XML'),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>', 'DOCTYPE'),
    (b'<x xmlns="urn:y"/>', 'SOAP 1.2'),
    (CAPTURED.replace(b'CIM_AlertIndication>', b'CIM_Other>'), 'no CIM indication'),
])
def test_bad_bodies(body, match):
    with pytest.raises(amt_alerts.BadIndication, match=match):
        amt_alerts.parse_indication(body)


def digest_answer(challenge, user, password, method='POST', uri='/amt', nc='00000001', cnonce='abcdef'):
    fields = dict(p.strip().split('=', 1) for p in challenge[len('Digest '):].split(','))
    fields = dict((k, v.strip('"')) for k, v in fields.items())
    ha1 = hashlib.md5(('%s:%s:%s' % (user, fields['realm'], password)).encode()).hexdigest()
    ha2 = hashlib.md5(('%s:%s' % (method, uri)).encode()).hexdigest()
    resp = hashlib.md5(('%s:%s:%s:%s:auth:%s' % (ha1, fields['nonce'], nc, cnonce, ha2)).encode()).hexdigest()
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", qop=auth, nc=%s, cnonce="%s", response="%s"'
            % (user, fields['realm'], fields['nonce'], uri, nc, cnonce, resp))


class Queue:
    def __init__(self):
        self.items = []

    async def put(self, item):
        self.items.append(item)


def answer(listener, headers, body=CAPTURED, target='/amt', method='POST'):
    return asyncio.run(listener.answer('10.0.0.21', method, target, headers, body))


def test_listener_digest_path_and_ack():
    queue = Queue()
    listener = amt_alerts.Listener(queue, {'username': 'alerts', 'password': 'S3cret-pw', 'path': '/amt'})
    first = answer(listener, {})
    assert first.startswith(b'HTTP/1.1 401') and b'WWW-Authenticate: Digest realm="oob.amt alerts"' in first
    challenge = [line for line in first.decode().split('\r\n') if line.startswith('WWW-Authenticate')][0][18:]
    assert queue.items == []
    wrong = answer(listener, {'authorization': digest_answer(challenge, 'alerts', 'wrong')})
    assert wrong.startswith(b'HTTP/1.1 401') and queue.items == []
    ok = answer(listener, {'authorization': digest_answer(challenge, 'alerts', 'S3cret-pw')})
    assert ok.startswith(b'HTTP/1.1 200')
    assert b'wsman/1/wsman/Ack' in ok and b'uuid:00000000-8086-8086-8086-000000128538' in ok   # AckRequested
    assert len(queue.items) == 1 and queue.items[0]['amt']['message_id'] == 'iAMT0005'
    assert answer(listener, {'authorization': digest_answer(challenge, 'alerts', 'S3cret-pw')},
                  target='/other').startswith(b'HTTP/1.1 404')
    assert answer(listener, {}, method='GET').startswith(b'HTTP/1.1 405')
    stale = digest_answer(challenge.replace(challenge.split('nonce="')[1][:32], '0' * 32), 'alerts', 'S3cret-pw')
    assert answer(listener, {'authorization': stale}).startswith(b'HTTP/1.1 401')


def test_listener_without_auth_and_bad_body():
    queue = Queue()
    listener = amt_alerts.Listener(queue, {})
    assert answer(listener, {}, body=b'garbage').startswith(b'HTTP/1.1 400')
    no_ack = CAPTURED.replace(b'<c:AckRequested></c:AckRequested>', b'')
    reply = answer(listener, {}, body=no_ack)
    assert reply.startswith(b'HTTP/1.1 200') and b'Ack' not in reply
    assert len(queue.items) == 1
    with pytest.raises(ValueError, match='username needs password'):
        amt_alerts.Listener(queue, {'username': 'x'})


def test_server_end_to_end_over_http():
    """main() serves real HTTP: a chunked POST and a keep-alive second POST both arrive."""
    async def scenario():
        queue = Queue()
        port = _free_port()
        task = asyncio.ensure_future(amt_alerts.main(queue, {'host': '127.0.0.1', 'port': port}))
        for _i in range(50):
            try:
                reader, writer = await asyncio.open_connection('127.0.0.1', port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        chunks = b''.join(b'%x\r\n%s\r\n' % (len(CAPTURED[i:i + 500]), CAPTURED[i:i + 500])
                          for i in range(0, len(CAPTURED), 500)) + b'0\r\n\r\n'
        writer.write(b'POST /amt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' + chunks)
        writer.write(b'POST /amt HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n' % len(CAPTURED) + CAPTURED)
        await writer.drain()
        replies = b''
        while replies.count(b'HTTP/1.1 200') < 2:
            data = await asyncio.wait_for(reader.read(65536), 10)
            if not data:
                break
            replies += data
        writer.close()
        task.cancel()
        return queue, replies

    queue, replies = asyncio.run(scenario())
    assert replies.count(b'HTTP/1.1 200') == 2
    assert [e['amt']['message_id'] for e in queue.items] == ['iAMT0005', 'iAMT0005']


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_https_listener(tmp_path):
    """certfile/keyfile serve HTTPS (relays and test clients; firmware pushes plain HTTP)."""
    import datetime
    import ssl
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'alerts.test')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName('alerts.test')]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / 'cert.pem').write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / 'key.pem').write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))

    async def scenario():
        queue = Queue()
        port = _free_port()
        task = asyncio.ensure_future(amt_alerts.main(queue, {
            'host': '127.0.0.1', 'port': port, 'certfile': str(tmp_path / 'cert.pem'),
            'keyfile': str(tmp_path / 'key.pem')}))
        ctx = ssl.create_default_context(cafile=str(tmp_path / 'cert.pem'))
        for _i in range(50):
            try:
                reader, writer = await asyncio.open_connection('127.0.0.1', port, ssl=ctx,
                                                               server_hostname='alerts.test')
                break
            except OSError:
                await asyncio.sleep(0.1)
        writer.write(b'POST /amt HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n\r\n'
                     % len(CAPTURED) + CAPTURED)
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        task.cancel()
        return queue, reply

    queue, reply = asyncio.run(scenario())
    assert reply.startswith(b'HTTP/1.1 200') and len(queue.items) == 1
