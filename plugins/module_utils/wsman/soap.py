# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WS-Management envelopes: building requests and parsing responses.

Requests are composed as text (cheap, and the shape is fixed); responses are parsed with a
hardened lxml parser, namespace-aware (AMT's prefixes differ between normal and fault
responses, so nothing here looks at prefixes).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import itertools
import re
import traceback
from xml.sax.saxutils import escape as _xml_escape

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    WsmanFault, WsmanInputError, WsmanMalformedResponse)
from ansible_collections.oob.amt.plugins.module_utils.wsman.schema import property_type

try:
    from lxml import etree
    HAS_LXML = True
    LXML_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by the sanity import test
    HAS_LXML = False
    LXML_IMPORT_ERROR = traceback.format_exc()

NS_SOAP = 'http://www.w3.org/2003/05/soap-envelope'
NS_WSA = 'http://schemas.xmlsoap.org/ws/2004/08/addressing'
NS_WSMAN = 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'
NS_WSEN = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration'
NS_WXF = 'http://schemas.xmlsoap.org/ws/2004/09/transfer'
NS_WSMID = 'http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd'
NS_COMMON = 'http://schemas.dmtf.org/wbem/wscim/1/common'
NS_XSI = 'http://www.w3.org/2001/XMLSchema-instance'
ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous'

CIM_BASE = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/'
AMT_BASE = 'http://intel.com/wbem/wscim/1/amt-schema/1/'
IPS_BASE = 'http://intel.com/wbem/wscim/1/ips-schema/1/'

ACTION_GET = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get'
ACTION_PUT = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Put'
ACTION_CREATE = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Create'
ACTION_DELETE = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete'
ACTION_ENUMERATE = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate'
ACTION_PULL = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull'
ACTION_RELEASE = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release'

_message_ids = itertools.count(1)
_DOCTYPE_RE = re.compile(br'<!\s*(DOCTYPE|ENTITY)', re.IGNORECASE)
_ENCODING_RE = re.compile(br'^\s*<\?xml[^>]*?encoding\s*=\s*["\']([A-Za-z0-9._-]+)["\']')


def resource_uri(cls):
    """Full resource URI of a class name; a URI is returned unchanged."""
    if '://' in cls:
        return cls
    for prefix, base in (('CIM_', CIM_BASE), ('AMT_', AMT_BASE), ('IPS_', IPS_BASE)):
        if cls.startswith(prefix):
            return base + cls
    raise ValueError('unknown WS-Man class %r: expected a CIM_, AMT_ or IPS_ class or a resource URI' % cls)


def class_name(uri):
    """Class name at the end of a resource URI."""
    return uri.rstrip('/').rsplit('/', 1)[-1]


class EPR(object):
    """An endpoint reference, used as a method parameter (ManagedElement, Source ...)."""

    def __init__(self, cls, selectors=None, address=ANONYMOUS):
        self.resource_uri = resource_uri(cls)
        self.selectors = dict(selectors or {})
        self.address = address

    def to_dict(self):
        return {'address': self.address, 'resource_uri': self.resource_uri, 'selectors': dict(self.selectors)}

    def __eq__(self, other):
        return isinstance(other, EPR) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return 'EPR(%r, %r)' % (class_name(self.resource_uri), self.selectors)


class Datetime(object):
    """A cim:Datetime wrapped value (e.g. an alarm StartTime)."""

    def __init__(self, value):
        self.value = value


class Interval(object):
    """A cim:Interval wrapped value (xs:duration such as P1DT0H0M)."""

    def __init__(self, value):
        self.value = value


class Embedded(object):
    """An embedded instance passed as a method parameter (e.g. AddAlarm's AlarmTemplate)."""

    def __init__(self, cls, props):
        self.resource_uri = resource_uri(cls)
        self.props = props


_XML_INVALID = re.compile(u'[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')


def _text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode('ascii')
    text = u'%s' % (value,)
    if _XML_INVALID.search(text):
        # control characters cannot travel in XML 1.0: refuse here instead of sending a broken request
        # (the value itself is not quoted: it may be a password)
        bad = _XML_INVALID.search(text)
        raise WsmanInputError('a value contains a character XML cannot carry (U+%04X at position %d); refused before '
                              'contact' % (ord(bad.group(0)), bad.start()))
    return _xml_escape(text, {'"': '&quot;'})


def _selector_set(selectors, prefix='w'):
    if not selectors:
        return ''
    parts = ['<%s:SelectorSet>' % prefix]
    for name, value in selectors.items():
        parts.append('<%s:Selector Name="%s">%s</%s:Selector>' % (prefix, _text(name), _text(value), prefix))
    parts.append('</%s:SelectorSet>' % prefix)
    return ''.join(parts)


def _epr_xml(epr):
    return ('<a:Address>%s</a:Address><a:ReferenceParameters><w:ResourceURI>%s</w:ResourceURI>%s'
            '</a:ReferenceParameters>' % (_text(epr.address), _text(epr.resource_uri), _selector_set(epr.selectors)))


def _items(props):
    if props is None:
        return []
    if isinstance(props, dict):
        return list(props.items())
    return list(props)


def property_xml(prefix, name, value, embedded_prefixes=None):
    """One property (or a repeated property for lists) in the given namespace prefix."""
    if value is None:
        return ''
    if isinstance(value, (list, tuple)):
        return ''.join(property_xml(prefix, name, item, embedded_prefixes) for item in value)
    tag = '%s:%s' % (prefix, name)
    if isinstance(value, EPR):
        return '<%s>%s</%s>' % (tag, _epr_xml(value), tag)
    if isinstance(value, Datetime):
        return '<%s><p:Datetime xmlns:p="%s">%s</p:Datetime></%s>' % (tag, NS_COMMON, _text(value.value), tag)
    if isinstance(value, Interval):
        return '<%s><p:Interval xmlns:p="%s">%s</p:Interval></%s>' % (tag, NS_COMMON, _text(value.value), tag)
    if isinstance(value, Embedded):
        inner_prefix = 'q'
        body = ''.join(property_xml(inner_prefix, k, v) for k, v in _items(value.props))
        return '<%s xmlns:%s="%s">%s</%s>' % (tag, inner_prefix, value.resource_uri, body, tag)
    return '<%s>%s</%s>' % (tag, _text(value), tag)


def next_message_id():
    return 'uuid:00000000-8086-8086-8086-%012X' % next(_message_ids)


def build_request(action, resource, body='', selectors=None, message_id=None, to='/wsman',
                  operation_timeout='PT60S', extra_header=''):
    """A complete SOAP 1.2 WS-Man request envelope as UTF-8 bytes."""
    header = [
        '<a:Action>%s</a:Action>' % _text(action) if action else '',
        '<a:To>%s</a:To>' % _text(to),
        '<w:ResourceURI>%s</w:ResourceURI>' % _text(resource) if resource else '',
        '<a:MessageID>%s</a:MessageID>' % _text(message_id or next_message_id()),
        '<a:ReplyTo><a:Address>%s</a:Address></a:ReplyTo>' % ANONYMOUS,
        '<w:OperationTimeout>%s</w:OperationTimeout>' % operation_timeout if operation_timeout else '',
        _selector_set(selectors),
        extra_header,
    ]
    doc = ('<?xml version="1.0" encoding="utf-8"?>'
           '<Envelope xmlns:xsi="%s" xmlns:a="%s" xmlns:w="%s" xmlns="%s">'
           '<Header>%s</Header><Body>%s</Body></Envelope>'
           % (NS_XSI, NS_WSA, NS_WSMAN, NS_SOAP, ''.join(header), body))
    return doc.encode('utf-8')


def identify_request():
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<s:Envelope xmlns:s="%s" xmlns:wsmid="%s"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>'
            % (NS_SOAP, NS_WSMID)).encode('utf-8')


def get_request(cls, selectors=None):
    return build_request(ACTION_GET, resource_uri(cls), selectors=selectors)


def delete_request(cls, selectors=None):
    return build_request(ACTION_DELETE, resource_uri(cls), selectors=selectors)


def instance_body(cls, props):
    uri = resource_uri(cls)
    inner = ''.join(property_xml('r', k, v) for k, v in _items(props))
    return '<r:%s xmlns:r="%s">%s</r:%s>' % (class_name(uri), uri, inner, class_name(uri))


def put_request(cls, props, selectors=None):
    return build_request(ACTION_PUT, resource_uri(cls), body=instance_body(cls, props), selectors=selectors)


def create_request(cls, props):
    return build_request(ACTION_CREATE, resource_uri(cls), body=instance_body(cls, props))


def enumerate_request(cls, optimize=True, max_elements=100):
    opt = ''
    if optimize:
        opt = '<w:OptimizeEnumeration/><w:MaxElements>%d</w:MaxElements>' % int(max_elements)
    body = '<n:Enumerate xmlns:n="%s">%s</n:Enumerate>' % (NS_WSEN, opt)
    return build_request(ACTION_ENUMERATE, resource_uri(cls), body=body)


def pull_request(cls, context, max_elements=100):
    body = ('<n:Pull xmlns:n="%s"><n:EnumerationContext>%s</n:EnumerationContext>'
            '<n:MaxElements>%d</n:MaxElements></n:Pull>' % (NS_WSEN, _text(context), int(max_elements)))
    return build_request(ACTION_PULL, resource_uri(cls), body=body)


def release_request(cls, context):
    body = '<n:Release xmlns:n="%s"><n:EnumerationContext>%s</n:EnumerationContext></n:Release>' % (
        NS_WSEN, _text(context))
    return build_request(ACTION_RELEASE, resource_uri(cls), body=body)


def invoke_request(cls, method, params=None, selectors=None):
    uri = resource_uri(cls)
    inner = ''.join(property_xml('h', k, v) for k, v in _items(params))
    body = '<h:%s_INPUT xmlns:h="%s">%s</h:%s_INPUT>' % (method, uri, inner, method)
    return build_request('%s/%s' % (uri, method), uri, body=body, selectors=selectors)


# ---------------------------------------------------------------------------------------------
# Parsing


def _localname(el):
    tag = el.tag
    if not isinstance(tag, str):
        return None
    return tag.rsplit('}', 1)[-1]


def _ns(el):
    tag = el.tag
    if isinstance(tag, str) and tag.startswith('{'):
        return tag[1:].split('}', 1)[0]
    return None


def _children(el):
    return [c for c in el if isinstance(c.tag, str)]


def _child(el, ns, name):
    for c in el:
        if isinstance(c.tag, str) and c.tag == '{%s}%s' % (ns, name):
            return c
    return None


def _make_parser():
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def parse_xml(data, host=None, operation=None):
    """Parse bytes into an lxml root element, refusing DTDs/entities and non-XML."""
    if not HAS_LXML:
        raise WsmanMalformedResponse('the lxml Python library is required to parse responses',
                                     host=host, operation=operation, hint='Install lxml on the host that runs the module')
    if not data or not data.strip():
        raise WsmanMalformedResponse('empty response body', host=host, operation=operation)
    # AMT answers in UTF-8. Any other encoding (UTF-16 with or without BOM, UTF-32, EBCDIC) is refused before
    # parsing: the DTD check below reads bytes, and an entity declaration in UTF-16 would slip past it.
    if data[:2] in (b'\xff\xfe', b'\xfe\xff') or data[:4] in (b'\x00\x00\xfe\xff', b'\xff\xfe\x00\x00') or \
            b'\x00' in data[:1024]:
        raise WsmanMalformedResponse('response is not UTF-8 (refused; AMT answers in UTF-8)', host=host,
                                     operation=operation)
    declared = _ENCODING_RE.match(data[:256])
    if declared and declared.group(1).lower() not in (b'utf-8', b'utf8', b'us-ascii', b'ascii'):
        raise WsmanMalformedResponse('response declares encoding %s (refused; AMT answers in UTF-8)'
                                     % declared.group(1)[:20].decode('ascii', 'replace'), host=host,
                                     operation=operation)
    if _DOCTYPE_RE.search(data):
        raise WsmanMalformedResponse('response contains a DTD or entity declaration (refused for safety)',
                                     host=host, operation=operation)
    try:
        root = etree.fromstring(data, parser=_make_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise WsmanMalformedResponse('response is not well-formed XML (%s)' % str(exc)[:200],
                                     host=host, operation=operation)
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise WsmanMalformedResponse('response contains a DTD or entity declaration (refused for safety)',
                                     host=host, operation=operation)
    return root


def value_of(el, cls=None, prop=None):
    """Python value of one property element."""
    if el.get('{%s}nil' % NS_XSI) in ('true', '1'):
        return None
    kids = _children(el)
    if not kids:
        text = el.text or ''
        return _typed(text, cls, prop)
    first = kids[0]
    if _ns(first) == NS_WSA and _localname(first) in ('Address', 'ReferenceParameters'):
        return epr_to_dict(el)
    if len(kids) == 1 and _ns(first) == NS_COMMON and _localname(first) in ('Datetime', 'Interval', 'Date', 'Time'):
        return first.text or ''
    return instance_to_dict(el)


def epr_to_dict(el):
    address = _child(el, NS_WSA, 'Address')
    params = _child(el, NS_WSA, 'ReferenceParameters')
    result = {'address': (address.text or '').strip() if address is not None else None,
              'resource_uri': None, 'selectors': {}}
    if params is not None:
        uri = _child(params, NS_WSMAN, 'ResourceURI')
        if uri is not None:
            result['resource_uri'] = (uri.text or '').strip()
        sset = _child(params, NS_WSMAN, 'SelectorSet')
        if sset is not None:
            for sel in _children(sset):
                sub = _children(sel)
                result['selectors'][sel.get('Name')] = epr_to_dict(sub[0]) if sub else (sel.text or '')
    return result


def _typed(text, cls, prop):
    kind = property_type(cls, prop) if cls and prop else None
    if kind is None:
        return text
    base = kind[:-2] if kind.endswith('[]') else kind
    try:
        if base == 'int':
            return int(text.strip())
        if base == 'bool':
            low = text.strip().lower()
            if low in ('true', '1'):
                return True
            if low in ('false', '0'):
                return False
            return text
    except ValueError:
        return text
    return text


def instance_to_dict(el):
    """Instance element -> dict (repeated properties become lists, typed via the schema)."""
    cls = _localname(el)
    result = {'_class': cls}
    for child in _children(el):
        name = _localname(child)
        value = value_of(child, cls, name)
        if name in result:
            kind = property_type(cls, name)
            if kind and not kind.endswith('[]'):
                # a scalar the schema knows, sent twice: a broken or hostile answer, not a list
                raise WsmanMalformedResponse('%s.%s appears twice in the answer but is a single value' % (cls, name))
            if not isinstance(result[name], list):
                result[name] = [result[name]]
            result[name].append(value)
        elif _is_array(cls, name):
            result[name] = [value]
        else:
            result[name] = value
    return result


def _is_array(cls, prop):
    kind = property_type(cls, prop)
    return bool(kind and kind.endswith('[]'))


class Response(object):
    """A parsed SOAP response: header fields and the body's first element."""

    def __init__(self, root):
        self.root = root
        header = _child(root, NS_SOAP, 'Header')
        self.body = _child(root, NS_SOAP, 'Body')
        self.action = self.relates_to = self.message_id = self.resource_uri = None
        if header is not None:
            for name, attr, ns in (('Action', 'action', NS_WSA), ('RelatesTo', 'relates_to', NS_WSA),
                                   ('MessageID', 'message_id', NS_WSA), ('ResourceURI', 'resource_uri', NS_WSMAN)):
                el = _child(header, ns, name)
                if el is not None:
                    setattr(self, attr, (el.text or '').strip())
        kids = _children(self.body) if self.body is not None else []
        self.payload = kids[0] if kids else None

    @property
    def is_fault(self):
        return self.payload is not None and self.payload.tag == '{%s}Fault' % NS_SOAP


def parse_response(data, host=None, operation=None):
    root = parse_xml(data, host, operation)
    if root.tag != '{%s}Envelope' % NS_SOAP:
        raise WsmanMalformedResponse('response is XML but not a SOAP 1.2 envelope (root <%s>)' % _localname(root),
                                     host=host, operation=operation)
    if _child(root, NS_SOAP, 'Body') is None:
        raise WsmanMalformedResponse('SOAP envelope without a Body', host=host, operation=operation)
    for part in ('Header', 'Body'):
        if len([c for c in _children(root) if c.tag == '{%s}%s' % (NS_SOAP, part)]) > 1:
            raise WsmanMalformedResponse('SOAP envelope with two %s elements' % part, host=host, operation=operation)
    return Response(root)


def fault_from(response, status=None, host=None, operation=None):
    """WsmanFault for a Fault body."""
    fault = response.payload
    code = subcode = reason = detail = None
    code_el = _child(fault, NS_SOAP, 'Code')
    if code_el is not None:
        val = _child(code_el, NS_SOAP, 'Value')
        code = _strip_prefix(val.text if val is not None else None)
        sub = _child(code_el, NS_SOAP, 'Subcode')
        if sub is not None:
            sval = _child(sub, NS_SOAP, 'Value')
            subcode = _strip_prefix(sval.text if sval is not None else None)
    reason_el = _child(fault, NS_SOAP, 'Reason')
    if reason_el is not None:
        texts = [(t.text or '').strip() for t in _children(reason_el)]
        reason = ' '.join(t for t in texts if t) or None
    detail_el = _child(fault, NS_SOAP, 'Detail')
    if detail_el is not None:
        detail = ' '.join(t.strip() for t in detail_el.itertext() if t.strip()) or None
    text = 'SOAP fault %s%s' % (subcode or code or 'unknown', ': %s' % reason if reason else '')
    return WsmanFault(text, code=code, subcode=subcode, detail=detail, status=status, host=host,
                      operation=operation, hint=FAULT_HINTS.get(subcode, ''))


FAULT_HINTS = {
    'DestinationUnreachable': 'The device does not know this class or resource; the firmware version may not support it',
    'ActionNotSupported': 'The firmware does not support this operation or method',
    'AccessDenied': 'The account lacks the right for this operation (realm/ACL), or the control mode forbids it',
    'AlreadyExists': 'An instance with these keys already exists on the device',
    'InvalidSelectors': 'The instance keys (selectors) do not match an instance on the device',
    'SchemaValidationError': 'The device rejected the request body; check option values',
    'InvalidEnumerationContext': 'The enumeration expired on the device; re-run to start over',
    'InvalidRepresentation': 'The device rejected the values sent; check option values',
}


def _strip_prefix(value):
    if value is None:
        return None
    value = value.strip()
    return value.split(':', 1)[1] if ':' in value and '://' not in value else value


def enumeration_result(response):
    """(items, context, end_of_sequence) from an EnumerateResponse or PullResponse."""
    payload = response.payload
    context = None
    end = False
    items = []
    if payload is None:
        return items, context, True
    for child in _children(payload):
        name = _localname(child)
        if name == 'EnumerationContext':
            context = (child.text or '').strip() or None
        elif name == 'EndOfSequence':
            end = True
        elif name == 'Items':
            for item in _children(child):
                if _localname(item) == 'Item' and _ns(item) == NS_WSMAN:
                    inner = [c for c in _children(item) if _ns(c) != NS_WSA]
                    if inner:
                        items.append(instance_to_dict(inner[0]))
                elif _ns(item) == NS_WSA and _localname(item) == 'EndpointReference':
                    items.append(epr_to_dict(item))
                else:
                    items.append(instance_to_dict(item))
    return items, context, end


_IDENTIFY_KEYS = {'ProtocolVersion': 'protocol_version', 'ProductVendor': 'product_vendor',
                  'ProductVersion': 'product_version', 'DASHVersion': 'dash_version'}


def identify_result(response):
    payload = response.payload
    result = {'protocol_version': None, 'product_vendor': None, 'product_version': None,
              'dash_version': None, 'security_profiles': []}
    if payload is None or _localname(payload) != 'IdentifyResponse':
        return result
    for child in _children(payload):
        name = _localname(child)
        if name == 'SecurityProfiles':
            result['security_profiles'] = [(c.text or '').strip() for c in _children(child)]
        else:
            key = _IDENTIFY_KEYS.get(name)
            if key:
                if result[key] is not None:
                    raise WsmanMalformedResponse('Identify answer with %s twice' % name)
                result[key] = (child.text or '').strip()
    return result


def created_epr(response):
    payload = response.payload
    if payload is None:
        return None
    if _localname(payload) == 'ResourceCreated':
        return epr_to_dict(payload)
    return instance_to_dict(payload)
