"""Request parsing (namespace-aware, any prefixes) and responses in AMT's own prefix layout."""

from xml.sax.saxutils import escape

from lxml import etree

from tests.simulator.registry import EPR, Datetime, Interval, SoapFault

NS_SOAP = 'http://www.w3.org/2003/05/soap-envelope'
NS_WSA = 'http://schemas.xmlsoap.org/ws/2004/08/addressing'
NS_WSMAN = 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'
NS_WSEN = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration'
NS_WXF = 'http://schemas.xmlsoap.org/ws/2004/09/transfer'
NS_WSMID = 'http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd'
NS_COMMON = 'http://schemas.dmtf.org/wbem/wscim/1/common'
NS_XSI = 'http://www.w3.org/2001/XMLSchema-instance'
NS_TRUST = 'http://schemas.xmlsoap.org/ws/2005/02/trust'
NS_SECEXT = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd'
NS_CIMBINDING = 'http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd'
NS_EVENTING = 'http://schemas.xmlsoap.org/ws/2004/08/eventing'
NS_DASH = 'http://schemas.dmtf.org/wbem/dash/1/dash.xsd'
ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous'

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _local(el):
    return el.tag.rsplit('}', 1)[-1] if isinstance(el.tag, str) else None


def _nsof(el):
    return el.tag[1:].split('}', 1)[0] if isinstance(el.tag, str) and el.tag.startswith('{') else None


def _kids(el):
    return [c for c in el if isinstance(c.tag, str)]


def _child(el, ns, name):
    for c in el:
        if isinstance(c.tag, str) and c.tag == '{%s}%s' % (ns, name):
            return c
    return None


class Request:
    """What the handler needs from a request."""

    def __init__(self, body_bytes):
        if b'<!DOCTYPE' in body_bytes or b'<!ENTITY' in body_bytes:
            raise SoapFault('SchemaValidationError', 'The supplied SOAP violates the corresponding XML schema definition.')
        try:
            root = etree.fromstring(body_bytes, parser=_PARSER)
        except (etree.XMLSyntaxError, ValueError):
            raise SoapFault('SchemaValidationError', 'The supplied SOAP violates the corresponding XML schema definition.')
        if root.tag != '{%s}Envelope' % NS_SOAP:
            raise SoapFault('SchemaValidationError', 'The supplied SOAP violates the corresponding XML schema definition.')
        header = _child(root, NS_SOAP, 'Header')
        body = _child(root, NS_SOAP, 'Body')
        if body is None:
            raise SoapFault('SchemaValidationError', 'The supplied SOAP violates the corresponding XML schema definition.')
        self.action = self.to = self.resource_uri = self.message_id = None
        self.header = header
        self.selectors = {}
        if header is not None:
            for name, attr, ns in (('Action', 'action', NS_WSA), ('To', 'to', NS_WSA), ('MessageID', 'message_id', NS_WSA),
                                   ('ResourceURI', 'resource_uri', NS_WSMAN)):
                el = _child(header, ns, name)
                if el is not None:
                    setattr(self, attr, (el.text or '').strip())
            sset = _child(header, NS_WSMAN, 'SelectorSet')
            if sset is not None:
                for sel in _kids(sset):
                    self.selectors[sel.get('Name')] = (sel.text or '').strip()
        kids = _kids(body)
        self.payload = kids[0] if kids else None

    @property
    def is_identify(self):
        return self.payload is not None and self.payload.tag == '{%s}Identify' % NS_WSMID

    def enumerate_options(self):
        opts = {'optimize': False, 'max_elements': 1}
        if self.payload is None:
            return opts
        for c in _kids(self.payload):
            name = _local(c)
            if name == 'OptimizeEnumeration':
                opts['optimize'] = True
            elif name == 'MaxElements':
                try:
                    opts['max_elements'] = max(1, int((c.text or '1').strip()))
                except ValueError:
                    raise SoapFault('SchemaValidationError',
                                    'The supplied SOAP violates the corresponding XML schema definition.')
        return opts

    def pull_options(self):
        context = None
        max_elements = 1
        if self.payload is not None:
            for c in _kids(self.payload):
                name = _local(c)
                if name == 'EnumerationContext':
                    context = (c.text or '').strip()
                elif name == 'MaxElements':
                    try:
                        max_elements = max(1, int((c.text or '1').strip()))
                    except ValueError:
                        raise SoapFault('SchemaValidationError',
                                        'The supplied SOAP violates the corresponding XML schema definition.')
        return context, max_elements

    def params(self):
        """Method INPUT / Put / Create body -> dict (lists for repeated elements)."""
        return element_params(self.payload) if self.payload is not None else {}


def element_value(el):
    kids = _kids(el)
    if not kids:
        if el.get('{%s}nil' % NS_XSI) in ('true', '1'):
            return None
        return el.text or ''
    first = kids[0]
    if _nsof(first) == NS_WSA and _local(first) in ('Address', 'ReferenceParameters'):
        params = _child(el, NS_WSA, 'ReferenceParameters')
        res = {'resource_uri': None, 'selectors': {}}
        if params is not None:
            uri = _child(params, NS_WSMAN, 'ResourceURI')
            res['resource_uri'] = (uri.text or '').strip() if uri is not None else None
            sset = _child(params, NS_WSMAN, 'SelectorSet')
            if sset is not None:
                for sel in _kids(sset):
                    res['selectors'][sel.get('Name')] = (sel.text or '').strip()
        return res
    if len(kids) == 1 and _local(first) in ('Datetime', 'Interval'):
        return first.text or ''
    return element_params(el)


def element_params(el):
    out = {}
    for c in _kids(el):
        name = _local(c)
        value = element_value(c)
        if name in out:
            if not isinstance(out[name], list):
                out[name] = [out[name]]
            out[name].append(value)
        else:
            out[name] = value
    return out


# ---------------------------------------------------------------------------------------------
# Serialisation

def _text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return escape(str(value))


def prop_xml(prefix, name, value, common_prefix, addr_prefix='b', wsman_prefix='c'):
    if value is None:
        return ''
    if isinstance(value, (list, tuple)):
        return ''.join(prop_xml(prefix, name, v, common_prefix, addr_prefix, wsman_prefix) for v in value)
    tag = '%s:%s' % (prefix, name)
    if isinstance(value, EPR):
        sels = ''.join('<%s:Selector Name="%s">%s</%s:Selector>' % (wsman_prefix, _text(k), _text(v), wsman_prefix)
                       for k, v in value.selectors.items())
        return ('<%s><%s:Address>%s</%s:Address><%s:ReferenceParameters><%s:ResourceURI>%s</%s:ResourceURI>'
                '<%s:SelectorSet>%s</%s:SelectorSet></%s:ReferenceParameters></%s>'
                % (tag, addr_prefix, value.address, addr_prefix, addr_prefix, wsman_prefix, value.uri, wsman_prefix,
                   wsman_prefix, sels, wsman_prefix, addr_prefix, tag))
    if isinstance(value, Datetime):
        return '<%s><%s:Datetime>%s</%s:Datetime></%s>' % (tag, common_prefix, _text(value.value), common_prefix, tag)
    if isinstance(value, Interval):
        return '<%s><%s:Interval>%s</%s:Interval></%s>' % (tag, common_prefix, _text(value.value), common_prefix, tag)
    return '<%s>%s</%s>' % (tag, _text(value), tag)


def instance_xml(prefix, cls, props, common_prefix, xmlns=None):
    inner = ''.join(prop_xml(prefix, k, props[k], common_prefix) for k in sorted(props) if not k.startswith('_'))
    decl = ' xmlns:%s="%s"' % (prefix, xmlns) if xmlns else ''
    return '<%s:%s%s>%s</%s:%s>' % (prefix, cls, decl, inner, prefix, cls)


def envelope(relates_to, action, message_id, resource_uri, body, g_ns, h_ns=None, i_ns=None):
    decls = ('xmlns:a="%s" xmlns:b="%s" xmlns:c="%s" xmlns:d="%s" xmlns:e="%s" xmlns:f="%s" xmlns:g="%s"'
             % (NS_SOAP, NS_WSA, NS_WSMAN, NS_TRUST, NS_SECEXT, NS_CIMBINDING, g_ns))
    if h_ns:
        decls += ' xmlns:h="%s"' % h_ns
    if i_ns:
        decls += ' xmlns:i="%s"' % i_ns
    decls += ' xmlns:xsi="%s"' % NS_XSI
    res = '<c:ResourceURI>%s</c:ResourceURI>' % _text(resource_uri) if resource_uri else ''
    return ('<?xml version="1.0" encoding="UTF-8"?><a:Envelope %s><a:Header><b:To>%s</b:To><b:RelatesTo>%s</b:RelatesTo>'
            '<b:Action a:mustUnderstand="true">%s</b:Action><b:MessageID>%s</b:MessageID>%s</a:Header>'
            '<a:Body>%s</a:Body></a:Envelope>'
            % (decls, ANONYMOUS, _text(relates_to or ''), _text(action), message_id, res, body)).encode('utf-8')


WSA_SUBCODES = {'DestinationUnreachable', 'ActionNotSupported', 'InvalidMessageInformationHeader',
                'MessageInformationHeaderRequired', 'EndpointUnavailable'}
WSEN_SUBCODES = {'InvalidEnumerationContext', 'CannotProcessFilter', 'TimedOut'}
WXF_SUBCODES = {'InvalidRepresentation'}
DEFAULT_REASONS = {
    'DestinationUnreachable': 'No route can be determined to reach the destination role defined by the WSAddressing To.',
    'ActionNotSupported': 'The action is not supported by the service.',
    'AlreadyExists': 'The sender attempted to create a resource which already exists.',
    'SchemaValidationError': 'The supplied SOAP violates the corresponding XML schema definition.',
    'InvalidSelectors': 'The Selectors for the resource were not valid.',
    'InvalidEnumerationContext': 'The supplied enumeration context is invalid.',
    'AccessDenied': 'The sender was not authorized to access the resource.',
    'InvalidRepresentation': 'The XML content was invalid.',
    'InternalError': 'The service cannot comply with the request due to internal processing errors.',
}


def fault_envelope(relates_to, message_id, subcode, reason=None, detail=None):
    if subcode in WSA_SUBCODES:
        prefix, action = 'b', 'http://schemas.xmlsoap.org/ws/2004/08/addressing/fault'
    elif subcode in WSEN_SUBCODES:
        prefix, action = 'c', 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault'
    elif subcode in WXF_SUBCODES:
        prefix, action = 'd', 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault'
    else:
        prefix, action = 'e', 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault'
    code = 'a:Receiver' if subcode == 'InternalError' else 'a:Sender'
    reason = reason or DEFAULT_REASONS.get(subcode, subcode)
    detail_xml = '<a:Detail>%s</a:Detail>' % (_text(detail) if detail else '')
    fault_namespaces = (NS_CIMBINDING, NS_EVENTING, NS_WSMAN, NS_WXF, NS_WSEN, NS_WSA, NS_SOAP, NS_TRUST, NS_SECEXT,
                        NS_XSI)
    decls = ('xmlns:g="%s" xmlns:f="%s" xmlns:e="%s" xmlns:d="%s" xmlns:c="%s" xmlns:b="%s" xmlns:a="%s" '
             'xmlns:h="%s" xmlns:i="%s" xmlns:xsi="%s"' % fault_namespaces)
    return ('<?xml version="1.0" encoding="UTF-8"?><a:Envelope %s><a:Header><b:To>%s</b:To><b:RelatesTo>%s</b:RelatesTo>'
            '<b:Action a:mustUnderstand="true">%s</b:Action><b:MessageID>%s</b:MessageID></a:Header><a:Body><a:Fault>'
            '<a:Code><a:Value>%s</a:Value><a:Subcode><a:Value>%s:%s</a:Value></a:Subcode></a:Code>'
            '<a:Reason><a:Text xml:lang="en-US">%s</a:Text></a:Reason>%s</a:Fault></a:Body></a:Envelope>'
            % (decls, ANONYMOUS, _text(relates_to or ''), action, message_id, code, prefix, subcode, _text(reason),
               detail_xml)).encode('utf-8')


def identify_envelope(version):
    major_minor = '.'.join(version.split('.')[:2])
    return ('<?xml version="1.0" encoding="UTF-8"?><a:Envelope xmlns:a="%s" xmlns:b="%s" xmlns:c="%s"><a:Header/>'
            '<a:Body><b:IdentifyResponse><b:ProtocolVersion>%s</b:ProtocolVersion><b:ProductVendor>Intel(r)</b:ProductVendor>'
            '<b:ProductVersion>AMT %s</b:ProductVersion><c:DASHVersion>1.0.0</c:DASHVersion><b:SecurityProfiles>'
            '<b:SecurityProfileName>http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/digest</b:SecurityProfileName>'
            '<b:SecurityProfileName>http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/digest</b:SecurityProfileName>'
            '</b:SecurityProfiles></b:IdentifyResponse></a:Body></a:Envelope>'
            % (NS_SOAP, NS_WSMID, NS_DASH, NS_WSMAN, major_minor)).encode('utf-8')
