"""Class handlers of the simulated firmware and the helpers they share.

One handler per WS-Man class, registered with ``@register``. Modules under
``tests/simulator/classes/`` are imported automatically, so adding a class is adding a file.
"""

import importlib
import pkgutil

CIM_BASE = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/'
AMT_BASE = 'http://intel.com/wbem/wscim/1/amt-schema/1/'
IPS_BASE = 'http://intel.com/wbem/wscim/1/ips-schema/1/'
ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous'

HANDLERS = {}        # class name -> handler instance
ENUM_ALIASES = {}    # class name (e.g. CIM_ServiceAvailableToElement) -> [handler names]
_HOOKS = {}          # event name -> [callables(device, **kw)]
CONTROL_ROUTES = {}  # (HTTP method, name) -> fn(device, data, fleet) -> (status, result): /devices/<addr>/<name>


def uri_of(cls):
    if '://' in cls:
        return cls
    for prefix, base in (('CIM_', CIM_BASE), ('AMT_', AMT_BASE), ('IPS_', IPS_BASE)):
        if cls.startswith(prefix):
            return base + cls
    raise ValueError(cls)


def name_of(uri):
    return uri.rstrip('/').rsplit('/', 1)[-1]


class SoapFault(Exception):
    """A WS-Man fault answered with HTTP 400 (subcode: local name, e.g. 'InvalidSelectors')."""

    def __init__(self, subcode, reason=None, detail=None):
        super().__init__(subcode)
        self.subcode = subcode
        self.reason = reason
        self.detail = detail


class EPR:
    def __init__(self, cls, selectors, address=ANONYMOUS):
        self.uri = uri_of(cls)
        self.selectors = dict(selectors)
        self.address = address


class Datetime:
    def __init__(self, value):
        self.value = value


class Interval:
    def __init__(self, value):
        self.value = value


class Context:
    """Who is asking: interface ('network' or 'local'), TLS, user name."""

    def __init__(self, interface='network', tls=False, username=None, fleet=None):
        self.interface = interface
        self.tls = tls
        self.username = username
        self.fleet = fleet


class ClassHandler:
    name = None
    also_enumerated_by = ()

    @property
    def uri(self):
        return uri_of(self.name)

    def instances(self, device, ctx):
        return []

    def get(self, device, selectors, ctx):
        return self.find(device, selectors, ctx)

    def find(self, device, selectors, ctx):
        """Instance whose properties match every given selector (none given: the first one)."""
        items = self.instances(device, ctx)
        for item in items:
            if all(str(item.get(k)) == str(v) for k, v in (selectors or {}).items() if not isinstance(v, dict)):
                return item
        if not items and not selectors:
            raise SoapFault('DestinationUnreachable', 'No route can be determined to reach the destination role '
                            'defined by the WSAddressing To.')
        raise SoapFault('InvalidSelectors', 'The Selectors for the resource were not valid.')

    def put(self, device, selectors, props, ctx):
        raise SoapFault('ActionNotSupported', 'The action is not supported by the service.')

    def create(self, device, props, ctx):
        raise SoapFault('ActionNotSupported', 'The action is not supported by the service.')

    def delete(self, device, selectors, ctx):
        raise SoapFault('ActionNotSupported', 'The action is not supported by the service.')

    def invoke(self, device, method, params, ctx):
        fn = getattr(self, 'method_' + method, None)
        if fn is None:
            raise SoapFault('ActionNotSupported', 'The action is not supported by the service.')
        return fn(device, params, ctx)


def register(cls):
    handler = cls()
    HANDLERS[handler.name] = handler
    for alias in handler.also_enumerated_by:
        ENUM_ALIASES.setdefault(alias, []).append(handler.name)
    return cls


def on(event):
    """Decorator: call fn(device, **kw) when ``fire(event, device)`` happens (e.g. 'host_boot')."""
    def wrap(fn):
        _HOOKS.setdefault(event, []).append(fn)
        return fn
    return wrap


def fire(event, device, **kw):
    for fn in _HOOKS.get(event, []):
        fn(device, **kw)


def handler_for(uri):
    return HANDLERS.get(name_of(uri)) if uri else None


def enumeration_handlers(uri):
    name = name_of(uri)
    handlers = []
    if name in HANDLERS:
        handlers.append(HANDLERS[name])
    for alias in ENUM_ALIASES.get(name, []):
        if HANDLERS[alias] not in handlers:
            handlers.append(HANDLERS[alias])
    return handlers


def load_all():
    from tests.simulator import classes
    for info in pkgutil.iter_modules(classes.__path__):
        importlib.import_module('tests.simulator.classes.' + info.name)


def require_int(params, name, required=True):
    value = params.get(name)
    if value is None:
        if required:
            raise SoapFault('SchemaValidationError', 'The supplied SOAP violates the corresponding XML schema definition.',
                            detail='missing %s' % name)
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise SoapFault('SchemaValidationError', 'The supplied SOAP violates the corresponding XML schema definition.',
                        detail='%s is not an integer' % name)


def as_bool(value):
    return str(value).strip().lower() in ('true', '1')
