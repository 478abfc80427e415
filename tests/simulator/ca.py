"""Per-fleet test CA and device TLS certificates (real X.509, made with cryptography).

One EC key is shared by all device certificates so a fleet of 1,000 starts in seconds; each
device still has its own certificate (IP and host name in the SAN).
"""

import datetime
import ipaddress
import os
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID


def _write(path, data, mode=0o600):
    tmp = path + '.tmp'
    with open(tmp, 'wb') as fh:
        fh.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


class FleetCA:
    def __init__(self, state_dir):
        self.dir = os.path.join(state_dir, 'tls')
        os.makedirs(self.dir, exist_ok=True)
        self.ca_path = os.path.join(state_dir, 'ca.pem')
        ca_key_path = os.path.join(self.dir, 'ca-key.pem')
        dev_key_path = os.path.join(self.dir, 'device-key.pem')
        if os.path.exists(self.ca_path) and os.path.exists(ca_key_path) and os.path.exists(dev_key_path):
            with open(ca_key_path, 'rb') as fh:
                self.ca_key = serialization.load_pem_private_key(fh.read(), None)
            with open(self.ca_path, 'rb') as fh:
                self.ca_cert = x509.load_pem_x509_certificate(fh.read())
        else:
            self.ca_key = ec.generate_private_key(ec.SECP256R1())
            now = datetime.datetime.now(datetime.timezone.utc)
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'oob.amt simulator fleet CA')])
            self.ca_cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                            .public_key(self.ca_key.public_key()).serial_number(x509.random_serial_number())
                            .not_valid_before(now - datetime.timedelta(days=1))
                            .not_valid_after(now + datetime.timedelta(days=3650))
                            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                                           critical=True)
                            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.ca_key.public_key()), False)
                            .sign(self.ca_key, hashes.SHA256()))
            _write(ca_key_path, self.ca_key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
            dev_key = ec.generate_private_key(ec.SECP256R1())
            _write(dev_key_path, dev_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
            _write(self.ca_path, self.ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
        self.device_key_path = dev_key_path
        with open(dev_key_path, 'rb') as fh:
            self.device_key = serialization.load_pem_private_key(fh.read(), None)

    def device_cert_path(self, address, hostname):
        path = os.path.join(self.dir, '%s.pem' % address)
        if os.path.exists(path):
            return path
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname or address)]))
                .issuer_name(self.ca_cert.subject).public_key(self.device_key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=825))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address)),
                                                            x509.DNSName(hostname or address)]), critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(self.ca_key, hashes.SHA256()))
        _write(path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        return path

    def server_context(self, address, hostname):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.device_cert_path(address, hostname), self.device_key_path)
        return ctx
