"""Trusted root certificate hashes (reference §5.4): factory entries plus custom ones."""

import base64
import binascii

from tests.simulator.registry import ClassHandler, EPR, SoapFault, as_bool, register

SIZES = {1: 20, 2: 32, 3: 48}


def _hashes(device):
    return device.state.setdefault('hashes', [])


def _instance(h):
    return {'Description': h['name'], 'ElementName': 'Intel(r) AMT: Certificate Hash', 'Enabled': h['enabled'],
            'HashData': base64.b64encode(bytes.fromhex(h['hash'])).decode(), 'HashType': h['algorithm'],
            'InstanceID': h['id'], 'IsDefault': h['default']}


@register
class ProvisioningCertificateHash(ClassHandler):
    name = 'AMT_ProvisioningCertificateHash'

    def instances(self, device, ctx):
        return [_instance(h) for h in _hashes(device)]

    def _find(self, device, selectors):
        iid = (selectors or {}).get('InstanceID')
        for h in _hashes(device):
            if h['id'] == iid:
                return h
        raise SoapFault('InvalidSelectors')

    def put(self, device, selectors, props, ctx):
        h = self._find(device, selectors)
        if 'Enabled' in props:
            h['enabled'] = as_bool(props['Enabled'])
        return _instance(h)

    def create(self, device, props, ctx):
        if not device.state.get('hash_create_allowed', True):
            raise SoapFault('AccessDenied', detail='custom hashes can only be added by USB provisioning on this platform')
        try:
            algorithm = int(props.get('HashType'))
            digest = base64.b64decode(props.get('HashData') or '', validate=True)
        except (TypeError, ValueError, binascii.Error):
            raise SoapFault('InvalidRepresentation')
        if SIZES.get(algorithm) != len(digest):
            raise SoapFault('InvalidRepresentation', detail='hash length does not match HashType')
        if any(h['hash'] == digest.hex() and h['algorithm'] == algorithm for h in _hashes(device)):
            raise SoapFault('AlreadyExists')
        if len([h for h in _hashes(device) if not h['default']]) >= 3:
            raise SoapFault('InvalidRepresentation', detail='no free custom hash slot')
        iid = 'Intel(r) AMT Certificate Hash: %d' % (100 + len(_hashes(device)))
        _hashes(device).append({'name': (props.get('Description') or '')[:32], 'algorithm': algorithm,
                                'hash': digest.hex(), 'enabled': as_bool(props.get('Enabled', 'true')),
                                'default': False, 'id': iid})
        return EPR('AMT_ProvisioningCertificateHash', {'InstanceID': iid})

    def delete(self, device, selectors, ctx):
        h = self._find(device, selectors)
        if h['default']:
            raise SoapFault('AccessDenied', detail='factory hashes can be disabled, not deleted')
        _hashes(device).remove(h)
