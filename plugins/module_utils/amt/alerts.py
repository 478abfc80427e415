# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Alert subscriptions: the device pushes WS-Eventing indications (CIM_AlertIndication) to a listener.

Protocol as MeshCommander does it (amt-wsman-0.2.0.js ExecSubscribe/ExecUnSubscribe and the event
subscription panel of index.htm):

* Subscribe (WS-Eventing 2004/08) on resource CIM_FilterCollection with selector InstanceID = the
  filter (e.g. ``Intel(r) AMT:All``); Delivery Mode Push or PushWithAck; NotifyTo Address = listener URL
  (http:// only), optional ReferenceParameters argument; optional digest credentials for the listener
  (IssuedTokens/UsernameToken in the header, ``w:Auth Profile=.../http/digest`` in the Delivery).
* The subscriptions are read back by enumerating CIM_FilterCollectionSubscription (Filter, Handler EPRs)
  and CIM_ListenerDestination (Destination URL, DeliveryMode 2 push / 3 push with ack, Name).
* Unsubscribe on CIM_FilterCollectionSubscription with the Filter and Handler EPRs as selectors.

The indications the device sends look like the captured envelope in docs/dev/alerts.md
(Action http://schemas.dmtf.org/wbem/wsman/1/wsman/Event, body CIM_AlertIndication).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.oob.amt.plugins.module_utils.amt.operation import AmtError, Operation

import re

from ansible_collections.oob.amt.plugins.module_utils.wsman import soap as wx

NS_EVENTING = 'http://schemas.xmlsoap.org/ws/2004/08/eventing'
ACTION_SUBSCRIBE = NS_EVENTING + '/Subscribe'
ACTION_UNSUBSCRIBE = NS_EVENTING + '/Unsubscribe'
DELIVERY_MODES = {
    'push': 'http://schemas.xmlsoap.org/ws/2004/08/eventing/DeliveryModes/Push',
    'push_with_ack': 'http://schemas.dmtf.org/wbem/wsman/1/wsman/PushWithAck',
}
DELIVERY_MODE_VALUES = {2: 'push', 3: 'push_with_ack', 4: 'events', 5: 'pull'}
DIGEST_PROFILE = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/digest'
FILTER_PREFIX = 'Intel(r) AMT:'
# Filter collections AMT offers (CIM_FilterCollection InstanceIDs); the module refuses others only after
# reading the device's own list.
DEFAULT_FILTERS = ('All', 'Features')


class AlertError(AmtError):
    pass


def filter_id(name):
    return name if name.startswith(FILTER_PREFIX) else FILTER_PREFIX + name


def _selector(epr, name):
    if isinstance(epr, dict):
        return (epr.get('selectors') or {}).get(name)
    return None


def read_filters(client):
    return [f.get('InstanceID') for f in client.enumerate('CIM_FilterCollection') if f.get('InstanceID')]


def read_subscriptions(client):
    """[{'filter', 'url', 'delivery', 'handler', 'argument'}] joined by handler name."""
    subs = client.enumerate('CIM_FilterCollectionSubscription')
    listeners = dict((item.get('Name'), item) for item in client.enumerate('CIM_ListenerDestination'))
    out = []
    for sub in subs:
        handler = _selector(sub.get('Handler'), 'Name')
        dest = listeners.get(handler) or {}
        try:
            mode = int(dest.get('DeliveryMode') or 2)
        except (TypeError, ValueError):
            mode = 2
        out.append({'filter': _selector(sub.get('Filter'), 'InstanceID'), 'url': dest.get('Destination'),
                    'delivery': DELIVERY_MODE_VALUES.get(mode, str(mode)), 'handler': handler,
                    'argument': dest.get('_argument') or None})
    return out


def _subscribe_body(url, delivery, argument, with_auth):
    ref = ''
    if argument:
        ref = '<a:ReferenceParameters><m:arg xmlns:m="http://x.com">%s</m:arg></a:ReferenceParameters>' \
              % wx._text(argument)
    auth = '<w:Auth Profile="%s"/>' % DIGEST_PROFILE if with_auth else ''
    return ('<e:Subscribe xmlns:e="%s"><e:Delivery Mode="%s"><e:NotifyTo><a:Address>%s</a:Address>%s</e:NotifyTo>'
            '%s</e:Delivery></e:Subscribe>' % (NS_EVENTING, DELIVERY_MODES[delivery], wx._text(url), ref, auth))


def _issued_tokens(username, password):
    return ('<t:IssuedTokens xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/trust" '
            'xmlns:se="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
            '<t:RequestSecurityTokenResponse><t:TokenType>http://docs.oasis-open.org/wss/2004/01/'
            'oasis-200401-wss-username-token-profile-1.0#UsernameToken</t:TokenType><t:RequestedSecurityToken>'
            '<se:UsernameToken><se:Username>%s</se:Username><se:Password Type="http://docs.oasis-open.org/wss/2004/'
            '01/oasis-200401-wss-wssecurity-secext-1.0.xsd#PasswordText">%s</se:Password></se:UsernameToken>'
            '</t:RequestedSecurityToken></t:RequestSecurityTokenResponse></t:IssuedTokens>'
            % (wx._text(username), wx._text(password)))


def subscribe(client, filter_name, url, delivery='push', argument=None, username=None, password=None):
    body = wx.build_request(ACTION_SUBSCRIBE, wx.resource_uri('CIM_FilterCollection'),
                            body=_subscribe_body(url, delivery, argument, bool(username)),
                            selectors={'InstanceID': filter_id(filter_name)},
                            extra_header=_issued_tokens(username, password) if username else '')
    # The client has no WS-Eventing verb; _call gives digest, retries policy (writes are never re-sent) and
    # fault mapping like every other operation.
    return client._call(body, 'subscribe CIM_FilterCollection', idempotent=False)


def unsubscribe(client, sub):
    filt = ('<a:Address>%s</a:Address><a:ReferenceParameters><w:ResourceURI>%s</w:ResourceURI><w:SelectorSet>'
            '<w:Selector Name="InstanceID">%s</w:Selector></w:SelectorSet></a:ReferenceParameters>'
            % (wx.ANONYMOUS, wx.resource_uri('CIM_FilterCollection'), wx._text(sub['filter'])))
    handler = ('<a:Address>%s</a:Address><a:ReferenceParameters><w:ResourceURI>%s</w:ResourceURI><w:SelectorSet>'
               '<w:Selector Name="CreationClassName">CIM_ListenerDestinationWSMAN</w:Selector>'
               '<w:Selector Name="Name">%s</w:Selector>'
               '<w:Selector Name="SystemCreationClassName">CIM_ComputerSystem</w:Selector>'
               '<w:Selector Name="SystemName">Intel(r) AMT</w:Selector></w:SelectorSet></a:ReferenceParameters>'
               % (wx.ANONYMOUS, wx.resource_uri('CIM_ListenerDestinationWSManagement'), wx._text(sub['handler'])))
    selectors = ('<w:SelectorSet><w:Selector Name="Filter"><a:EndpointReference>%s</a:EndpointReference></w:Selector>'
                 '<w:Selector Name="Handler"><a:EndpointReference>%s</a:EndpointReference></w:Selector>'
                 '</w:SelectorSet>' % (filt, handler))
    body = wx.build_request(ACTION_UNSUBSCRIBE, wx.resource_uri('CIM_FilterCollectionSubscription'),
                            body='<e:Unsubscribe xmlns:e="%s"/>' % NS_EVENTING, extra_header=selectors)
    return client._call(body, 'unsubscribe CIM_FilterCollectionSubscription', idempotent=False)


_URL_RE = re.compile(r'^http://[A-Za-z0-9.\-\[\]:]+(:\d{1,5})?(/[^\s]*)?$')


OPTIONS = dict(
    state=dict(type='str', default='present', choices=['present', 'absent']),
    listener_url=dict(type='str', required=True),
    filters=dict(type='list', elements='str', default=['All']),
    delivery=dict(type='str', default='push', choices=list(DELIVERY_MODES)),
    argument=dict(type='str'),
    listener_username=dict(type='str'),
    listener_password=dict(type='str', no_log=True),
    exclusive=dict(type='bool', default=False),
)


def validate(params):
    url = params.get('listener_url') or ''
    if not _URL_RE.match(url) or len(url) > 253:
        raise AlertError('option listener_url must be an http:// URL of at most 253 characters (AMT pushes '
                         'indications over plain HTTP; protect them with listener_username/listener_password), '
                         'got %r' % url)
    if bool(params.get('listener_username')) != bool(params.get('listener_password')):
        raise AlertError('options listener_username and listener_password must be given together')
    for name in ('listener_username', 'listener_password'):
        if params.get(name) and len(params[name]) > 32:
            raise AlertError('option %s must be at most 32 characters (AMT limit)' % name)
    if not params.get('filters') and params.get('state', 'present') == 'present':
        raise AlertError('option filters must name at least one filter collection, e.g. All')
    return params


def run_alert_subscription(client, params, check_mode=False, diff=False):
    validate(params)
    state = params.get('state') or 'present'
    url = params['listener_url']
    wanted_filters = [filter_id(f) for f in (params.get('filters') or [])]
    existing = read_subscriptions(client)
    before = [dict((k, v) for k, v in s.items() if k != 'handler') for s in existing]
    to_add, to_remove = [], []
    if state == 'present':
        available = read_filters(client)
        unknown = [f for f in wanted_filters if f not in available]
        if unknown:
            raise AlertError('the device has no filter collection %s; it offers: %s'
                             % (', '.join(unknown), ', '.join(available) or 'none'))
        for f in wanted_filters:
            match = [s for s in existing if s['url'] == url and s['filter'] == f]
            if match and match[0]['delivery'] == params['delivery']:
                continue
            to_remove.extend(match)
            to_add.append(f)
        if params.get('exclusive'):
            to_remove.extend(s for s in existing if s['url'] == url and s['filter'] not in wanted_filters)
    else:
        to_remove = [s for s in existing if s['url'] == url and
                     (not params.get('filters') or s['filter'] in wanted_filters or params['filters'] == ['All'])]
    after = [s for s in before if not any(s['url'] == r['url'] and s['filter'] == r['filter'] for r in to_remove)]
    after.extend({'filter': f, 'url': url, 'delivery': params['delivery'], 'argument': params.get('argument')}
                 for f in to_add)
    result = {'changed': bool(to_add or to_remove), 'subscriptions': after,
              'added': to_add, 'removed': [r['filter'] for r in to_remove]}
    if not check_mode:
        for sub in to_remove:
            unsubscribe(client, sub)
        for f in to_add:
            subscribe(client, f, url, params['delivery'], params.get('argument'), params.get('listener_username'),
                      params.get('listener_password'))
        if to_add or to_remove:
            result['subscriptions'] = [dict((k, v) for k, v in s.items() if k != 'handler')
                                       for s in read_subscriptions(client)]
    if diff:
        result['diff'] = {'before': {'subscriptions': before}, 'after': {'subscriptions': result['subscriptions']}}
    result['exchanges'] = client.exchanges
    return result


__all__ = ['run_alert_subscription', 'subscribe', 'unsubscribe', 'read_subscriptions', 'AlertError']


OPERATION = Operation(OPTIONS, run_alert_subscription, name=lambda params: 'alert subscription %s' % (params.get('state') or 'present'), prepare=validate)
