"""Per-version firmware policy of the simulated devices: what real AMT generations refuse.

Each rule names its source; docs/dev/fidelity.md lists them with what is unverified on hardware.
A device state key overrides the version default where one is named.
"""

from tests.simulator.mei_standin import amt_enabled, local_tls_enforced  # noqa: F401 pylint: disable=unused-import


def version(device):
    """(major, minor) of the device's firmware, e.g. (16, 1)."""
    parts = []
    for piece in str(device.state.get('amt_version', '16.1')).split('.')[:2]:
        try:
            parts.append(int(piece))
        except ValueError:
            parts.append(0)
    while len(parts) < 2:
        parts.append(0)
    return tuple(parts)


def sleep_refused(device):
    """Sleep/hibernate (PowerState 4/7) refused by the firmware itself on 16.1 and 19
    (james-crowley/ansible-collection-intel-amt docs/capability-matrix.md, stage 11 on AMT 16.1.30 and 19.0.5:
    'firmware_refused' for sleep-light, sleep-deep and hibernate). State key: sleep_refused."""
    value = device.state.get('sleep_refused')
    return version(device) >= (16, 1) if value is None else bool(value)


def enumerate_amt_refused(device):
    """AMT 10 answers Enumerate on AMT_ classes with HTTP 400; Get with the InstanceID works
    (james-crowley docs/protocol-notes.md, hardware finding on AMT 10.0.56). State key: enumerate_amt_refused."""
    value = device.state.get('enumerate_amt_refused')
    return version(device) < (11, 0) if value is None else bool(value)


def remote_plain_refused(device):
    """From CSME 16.1 remote connections to the non-TLS ports 16992 and 16994 (and 623) are not accepted; from
    CSME 19 non-TLS is not accepted even locally (Intel SDK text quoted in the team reference amt-wsman.md 1.1;
    peers.md 'AMT 16.1+ closes 16992 to the network'). Only once provisioned: a pre-provisioned device has no
    remote interface yet. Applied to WS-Man (16992) and redirection (16994); the simulator's RMCP presence
    answer on 623 is not affected.

    State key remote_plain_http (true = allowed, false = refused). Default: refused on 16.1 and later."""
    value = device.state.get('remote_plain_http')
    if value is not None:
        return not value
    return version(device) >= (16, 1) and device.state.get('provisioning_state') == 2


def admin_setup_removed(device):
    """IPS_HostBasedSetupService.AdminSetup (and UpgradeClientToAdmin, the same certificate flow) removed from
    CSME 19: "Starting from Intel CSME 19.0, this method of setting up ACM provisioning will be removed" (Intel's
    class reference, quoted in rpc-go issue #355; team reference amt-wsman.md 5.3.4). What the firmware answers
    instead was not captured: the simulator answers the ActionNotSupported fault a removed method gets (ours).
    State key admin_setup (true = available, false = removed)."""
    value = device.state.get('admin_setup')
    return version(device) >= (19, 0) if value is None else not value


def setup_needs_commit(device):
    """From AMT 19 host-based Setup leaves the device "in provisioning" until CommitChanges: "Starting AMT [19],
    CommitChange() call is mandatory to cause AMT to move to post-provisioning state" (rpc-go issue #845, citing
    Intel's "perform local setup" page; rpc-go DMT internal/commands/activate/local.go commitCCMChanges sends it as
    admin after Setup when TLS is enforced locally). State key setup_needs_commit."""
    value = device.state.get('setup_needs_commit')
    return version(device) >= (19, 0) if value is None else bool(value)
