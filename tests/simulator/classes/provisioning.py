"""Host-based setup service (reference §5.3.2): the control mode and the configuration nonce."""

from tests.simulator.registry import ClassHandler, register


@register
class HostBasedSetupService(ClassHandler):
    name = 'IPS_HostBasedSetupService'

    def instances(self, device, ctx):
        s = device.state
        return [{'AllowedControlModes': [2, 1], 'CertChainStatus': s.get('cert_chain_status', 0),
                 'ConfigurationNonce': s['configuration_nonce'], 'CreationClassName': 'IPS_HostBasedSetupService',
                 'CurrentControlMode': s['control_mode'], 'ElementName': 'Intel(r) AMT Host Based Setup Service',
                 'Name': 'Intel(r) AMT Host Based Setup Service', 'SystemCreationClassName': 'CIM_ComputerSystem',
                 'SystemName': 'Intel(r) AMT'}]
