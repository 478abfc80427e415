"""WS-Eventing alert subscriptions and the indications a device pushes to its subscribers.

Subscribe/Unsubscribe follow MeshCommander's requests (amt-wsman-0.2.0.js); the pushed envelope follows
a captured AMT indication (Action .../wsman/Event, CIM_AlertIndication body, IndicationFilterName,
MessageID iAMT0005, AckRequested for PushWithAck). Platform (PET) events travel as MessageID 'PLAT'
with the 21-byte event-log record in MessageArguments (base64): this layout for hardware events is the
simulator's, not confirmed on firmware (docs/dev/alerts.md).

Control API (registered through registry.CONTROL_ROUTES):
  POST /devices/<addr>/events      {"kind": "fan_failure"} or {"sensor_type":.., "severity":.., ...}
                                   -> logs the event and POSTs indications to matching subscribers
  GET  /devices/<addr>/deliveries  -> [{url, status, message_id, time}] pushed so far (in memory)
"""

import hashlib
import http.client
import itertools
import os
import threading
import time
import urllib.parse

from tests.simulator.registry import (CONTROL_ROUTES, ClassHandler, EPR, SoapFault, on, register)
from tests.simulator.classes.logs import EVENT_KINDS, audit, log_event
from tests.simulator import soap

NS_EVT = 'http://schemas.xmlsoap.org/ws/2004/08/eventing'
NS_SECEXT = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd'
NS_ALERT = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_AlertIndication'
PUSH = 'http://schemas.xmlsoap.org/ws/2004/08/eventing/DeliveryModes/Push'
PUSH_ACK = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/PushWithAck'
FILTERS = ('Intel(r) AMT:All', 'Intel(r) AMT:Features')
MAX_SUBSCRIPTIONS = 16
_ids = itertools.count(1)
_DELIVERIES = {}        # address -> list of delivery results (not persisted)


def _subs(device):
    return device.state.setdefault('subscriptions', [])


@register
class FilterCollection(ClassHandler):
    name = 'CIM_FilterCollection'

    def instances(self, device, ctx):
        return [{'CollectionName': f, 'ElementName': f, 'InstanceID': f} for f in FILTERS]

    def eventing(self, device, req, ctx):
        if req.action != NS_EVT + '/Subscribe':
            raise SoapFault('ActionNotSupported')
        filt = req.selectors.get('InstanceID')
        if filt not in FILTERS:
            raise SoapFault('InvalidSelectors')
        payload = req.payload
        if payload is None or soap._local(payload) != 'Subscribe':
            raise SoapFault('SchemaValidationError')
        delivery = soap._child(payload, NS_EVT, 'Delivery')
        notify = soap._child(delivery, NS_EVT, 'NotifyTo') if delivery is not None else None
        addr = soap._child(notify, soap.NS_WSA, 'Address') if notify is not None else None
        if addr is None or not (addr.text or '').strip().startswith('http://'):
            raise SoapFault('SchemaValidationError', detail='NotifyTo Address must be an http:// URL')
        mode = delivery.get('Mode')
        if mode not in (PUSH, PUSH_ACK):
            raise SoapFault('SchemaValidationError', detail='unsupported delivery mode')
        argument = None
        refs = soap._child(notify, soap.NS_WSA, 'ReferenceParameters')
        if refs is not None and len(refs):
            argument = (refs[0].text or '').strip()
        username = password = None
        if req.header is not None:
            for el in req.header.iter('{%s}UsernameToken' % NS_SECEXT):
                u = soap._child(el, NS_SECEXT, 'Username')
                p = soap._child(el, NS_SECEXT, 'Password')
                username = (u.text or '') if u is not None else None
                password = (p.text or '') if p is not None else None
        url = addr.text.strip()
        subs = _subs(device)
        if any(s['filter'] == filt and s['url'] == url for s in subs):
            raise SoapFault('AlreadyExists')
        if len(subs) >= MAX_SUBSCRIPTIONS:
            raise SoapFault('InternalError', detail='subscription table full')
        handler = 'Intel(r) AMT:Listener %d' % (max([s['index'] for s in subs] or [0]) + 1)
        subs.append({'filter': filt, 'url': url, 'mode': 3 if mode == PUSH_ACK else 2, 'argument': argument,
                     'username': username, 'password': password, 'handler': handler,
                     'index': max([s['index'] for s in subs] or [0]) + 1})
        audit(device, 24, 0, ctx)
        manager = soap.prop_xml('g', 'SubscriptionManager', EPR('CIM_FilterCollectionSubscription',
                                                                {'Handler': handler, 'Filter': filt}), 'h')
        body = '<g:SubscribeResponse>%s<g:Expires>PT0S</g:Expires></g:SubscribeResponse>' % manager
        return body, NS_EVT


def _epr_selector(sel, name):
    for el in sel.iter('{%s}Selector' % soap.NS_WSMAN):
        if el.get('Name') == name:
            return (el.text or '').strip()
    return None


@register
class FilterCollectionSubscription(ClassHandler):
    name = 'CIM_FilterCollectionSubscription'
    also_enumerated_by = ('CIM_AbstractIndicationSubscription',)

    def instances(self, device, ctx):
        out = []
        for s in _subs(device):
            out.append({'CreationClassName': 'CIM_FilterCollectionSubscription', 'DeliveryFailurePolicy': 2,
                        'Filter': EPR('CIM_FilterCollection', {'InstanceID': s['filter']}),
                        'Handler': EPR('CIM_ListenerDestinationWSManagement', {
                            'CreationClassName': 'CIM_ListenerDestinationWSMAN', 'Name': s['handler'],
                            'SystemCreationClassName': 'CIM_ComputerSystem', 'SystemName': 'Intel(r) AMT'}),
                        'OnFatalErrorPolicy': 2, 'RepeatNotificationPolicy': 2, 'SubscriptionState': 2})
        return out

    def eventing(self, device, req, ctx):
        if req.action != NS_EVT + '/Unsubscribe':
            raise SoapFault('ActionNotSupported')
        filt = handler = None
        sset = soap._child(req.header, soap.NS_WSMAN, 'SelectorSet') if req.header is not None else None
        for sel in (list(sset) if sset is not None else []):
            if sel.get('Name') == 'Filter':
                filt = _epr_selector(sel, 'InstanceID')
            elif sel.get('Name') == 'Handler':
                handler = _epr_selector(sel, 'Name')
        subs = _subs(device)
        for s in subs:
            if s['filter'] == filt and s['handler'] == handler:
                subs.remove(s)
                audit(device, 24, 1, ctx)
                return '', NS_EVT
        raise SoapFault('InvalidSelectors')


@register
class ListenerDestination(ClassHandler):
    name = 'CIM_ListenerDestinationWSManagement'
    also_enumerated_by = ('CIM_ListenerDestination',)

    def instances(self, device, ctx):
        return [{'CreationClassName': 'CIM_ListenerDestinationWSMAN', 'DeliveryMode': s['mode'],
                 'Destination': s['url'], 'Name': s['handler'], 'PersistenceType': 2, 'Protocol': 2,
                 'SystemCreationClassName': 'CIM_ComputerSystem', 'SystemName': 'Intel(r) AMT'}
                for s in _subs(device)]


# -- indications ------------------------------------------------------------------------------------

CIM_SEVERITY = {0: 0, 1: 2, 2: 2, 4: 2, 8: 3, 16: 6, 32: 7}     # PET severity -> CIM PerceivedSeverity


def indication_envelope(device, message_id, arguments, severity, alert_type, ack, filter_name, argument=None):
    t = time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime())
    props = [('AlertType', alert_type), ('AlertingElementFormat', 2),
             ('AlertingManagedElement', 'Interop:CIM_ComputerSystem.CreationClassName="CIM_ComputerSystem",'
                                        'Name="Intel(r) AMT"'),
             ('IndicationFilterName', 'Intel(r) AMT:AllEvents'),
             ('IndicationIdentifier', 'Intel(r):%d' % (int.from_bytes(os.urandom(4), 'big'))),
             ('IndicationTime', None), ('Message', ''), ('MessageArguments', arguments), ('MessageID', message_id),
             ('OtherAlertingElementFormat', ''), ('OtherSeverity', ''), ('OwningEntity', 'Intel(r) AMT'),
             ('PerceivedSeverity', severity), ('ProbableCause', 0), ('SystemName', 'Intel(r) AMT')]
    body = []
    for name, value in props:
        if name == 'IndicationTime':
            body.append('<g:IndicationTime><h:Datetime>%s</h:Datetime></g:IndicationTime>' % t)
            continue
        for v in (value if isinstance(value, list) else [value]):
            body.append('<g:%s>%s</g:%s>' % (name, soap._text(v), name))
    head = ('<b:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:To>'
            '<b:ReplyTo><b:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:Address>'
            '</b:ReplyTo>%s<b:Action a:mustUnderstand="true">http://schemas.dmtf.org/wbem/wsman/1/wsman/Event'
            '</b:Action><b:MessageID>uuid:00000000-8086-8086-8086-%012X</b:MessageID>'
            '<c:ResourceURI>%s</c:ResourceURI>' % ('<c:AckRequested></c:AckRequested>' if ack else '',
                                                   next(_ids), NS_ALERT))
    if argument:
        # WS-Addressing: the NotifyTo reference parameters come back as header blocks
        head += '<m:arg xmlns:m="http://x.com">%s</m:arg>' % soap._text(argument)
    return ('<?xml version="1.0" encoding="UTF-8"?><a:Envelope xmlns:a="%s" xmlns:b="%s" xmlns:c="%s" '
            'xmlns:g="%s" xmlns:h="%s" xmlns:xsi="%s"><a:Header>%s</a:Header><a:Body><g:CIM_AlertIndication>%s'
            '</g:CIM_AlertIndication></a:Body></a:Envelope>'
            % (soap.NS_SOAP, soap.NS_WSA, soap.NS_WSMAN, NS_ALERT, soap.NS_COMMON, soap.NS_XSI, head,
               ''.join(body))).encode('utf-8')


def _digest_header(www, method, uri, username, password):
    fields = {}
    for part in urllib.parse.unquote(www[len('Digest '):]).split(','):
        if '=' in part:
            k, v = part.strip().split('=', 1)
            fields[k.strip()] = v.strip().strip('"')
    cnonce = os.urandom(8).hex()
    ha1 = hashlib.md5(('%s:%s:%s' % (username, fields.get('realm', ''), password)).encode()).hexdigest()
    ha2 = hashlib.md5(('%s:%s' % (method, uri)).encode()).hexdigest()
    response = hashlib.md5(('%s:%s:00000001:%s:auth:%s' % (ha1, fields.get('nonce', ''), cnonce, ha2))
                           .encode()).hexdigest()
    opaque = ', opaque="%s"' % fields['opaque'] if 'opaque' in fields else ''
    values = (username, fields.get('realm', ''), fields.get('nonce', ''), uri, cnonce, response, opaque)
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", qop=auth, nc=00000001, cnonce="%s", '
            'response="%s", algorithm=MD5%s' % values)


def _deliver(address, sub, body):
    url = urllib.parse.urlsplit(sub['url'])
    path = url.path or '/'
    if url.query:
        path += '?' + url.query
    result = {'url': sub['url'], 'filter': sub['filter'], 'time': time.time(), 'status': None}
    try:
        headers = {'Content-Type': 'application/soap+xml;charset=UTF-8',
                   'User-Agent': 'Intel(R) Active Management Technology'}
        for _attempt in range(2):
            conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=10,
                                              source_address=(address, 0))
            conn.request('POST', path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            conn.close()
            result['status'] = resp.status
            www = resp.getheader('WWW-Authenticate') or ''
            if resp.status == 401 and sub.get('username') and www.startswith('Digest ') and \
                    'Authorization' not in headers:
                headers['Authorization'] = _digest_header(www, 'POST', path, sub['username'], sub['password'])
                continue
            break
    except OSError as exc:
        result['error'] = str(exc)
    _DELIVERIES.setdefault(address, []).append(result)
    del _DELIVERIES[address][:-200]


def push(device, message_id, arguments, pet_severity, alert_type, feature_event):
    """POST an indication to every matching subscriber (in threads, as the device does not wait)."""
    for sub in list(_subs(device)):
        if sub['filter'] == 'Intel(r) AMT:Features' and not feature_event:
            continue
        body = indication_envelope(device, message_id, arguments, CIM_SEVERITY.get(pet_severity, 2), alert_type,
                                   sub['mode'] == 3, sub['filter'], sub.get('argument'))
        threading.Thread(target=_deliver, args=(device.address, dict(sub), body), daemon=True).start()


def inject(device, data, fleet=None):
    data = data or {}
    kind = data.get('kind')
    try:
        if kind is not None:
            record, fields = log_event(device, kind)
        else:
            record, fields = log_event(device, sensor_type=int(data['sensor_type']),
                                       event_type=int(data.get('event_type', 0x6F)), offset=int(data.get('offset', 0)),
                                       severity=int(data.get('severity', 2)), entity=int(data.get('entity', 0)),
                                       data=[int(x) for x in data.get('data', [])])
    except (KeyError, ValueError, TypeError) as exc:
        return 400, {'error': 'bad event: %s; give {"kind": one of %s} or sensor_type/severity/...'
                     % (exc, ', '.join(sorted(EVENT_KINDS)))}
    alert_type = 6 if fields['sensor_type'] in (1, 2, 4) else 5
    push(device, 'PLAT', [record], fields['severity'], alert_type, False)
    return 200, {'record': record, 'subscribers': len(_subs(device))}


def deliveries(device, data, fleet=None):
    return 200, _DELIVERIES.get(device.address, [])


CONTROL_ROUTES[('POST', 'events')] = inject
CONTROL_ROUTES[('GET', 'deliveries')] = deliveries


@on('host_boot')
def _booted(device, **kw):
    # A boot writes BIOS progress and "firmware started" into the event log, and AMT pushes it.
    record, fields = log_event(device, 'firmware_started')
    push(device, 'PLAT', [record], fields['severity'], 5, False)
