"""The client certificate chain of a TLS connection, for the CSME 19 Secure Host-Based Configuration stand-in.

Firmware in that state asks for a client certificate on the local TLS port and judges it by hashes: the leaf
against the hash given in AMTHI StartConfigurationHBased, the chain's root against the trusted root hashes. The
simulator knows hashes only, not the roots, so OpenSSL cannot verify the chain during the handshake; and Python
3.11's ssl module has no way to accept an unverified client certificate or to read the chain the client sent (3.13
adds get_unverified_chain). This module does both through ctypes on the libssl the _ssl module uses: a verify
callback that accepts the handshake, then SSL_get_peer_cert_chain; the checks are made afterwards in Python
(tests/simulator/server.py). Test-only code: CPython 3.11 object layout (PySSLContext.ctx, PySSLSocket.ssl after
the socket reference), OpenSSL 1.1/3 symbol names.
"""

import ctypes
import ctypes.util
import ssl

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p)
_ACCEPT = _CALLBACK(lambda ok, store: 1)
_HEAD = object.__basicsize__           # PyObject_HEAD
_libs = {}


def _lib():
    if not _libs:
        libssl = ctypes.CDLL(ctypes.util.find_library('ssl') or 'libssl.so.3')
        libcrypto = ctypes.CDLL(ctypes.util.find_library('crypto') or 'libcrypto.so.3')
        libssl.SSL_CTX_set_verify.argtypes = [ctypes.c_void_p, ctypes.c_int, _CALLBACK]
        libssl.SSL_CTX_set_verify.restype = None
        libssl.SSL_get_peer_cert_chain.argtypes = [ctypes.c_void_p]
        libssl.SSL_get_peer_cert_chain.restype = ctypes.c_void_p
        libcrypto.OPENSSL_sk_num.argtypes = [ctypes.c_void_p]
        libcrypto.OPENSSL_sk_value.argtypes = [ctypes.c_void_p, ctypes.c_int]
        libcrypto.OPENSSL_sk_value.restype = ctypes.c_void_p
        libcrypto.i2d_X509.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
        libcrypto.CRYPTO_free.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        _libs.update(ssl=libssl, crypto=libcrypto)
    return _libs['ssl'], _libs['crypto']


def request_any_client_certificate(ctx):
    """Make a server SSLContext ask for a client certificate and accept whatever comes (checked later)."""
    ctx.verify_mode = ssl.CERT_OPTIONAL
    libssl = _lib()[0]
    ssl_ctx = ctypes.c_void_p.from_address(id(ctx) + _HEAD).value
    libssl.SSL_CTX_set_verify(ssl_ctx, 1, _ACCEPT)          # SSL_VERIFY_PEER, no FAIL_IF_NO_PEER_CERT
    return ctx


def peer_chain(ssl_object):
    """[leaf DER, then the rest the client sent] or [] when it sent no certificate."""
    leaf = ssl_object.getpeercert(binary_form=True)
    if not leaf:
        return []
    libssl, libcrypto = _lib()
    inner = ssl_object._sslobj
    ssl_ptr = ctypes.c_void_p.from_address(id(inner) + _HEAD + ctypes.sizeof(ctypes.c_void_p)).value
    stack = libssl.SSL_get_peer_cert_chain(ssl_ptr)
    chain = [leaf]
    if stack:
        for i in range(libcrypto.OPENSSL_sk_num(stack)):
            cert = libcrypto.OPENSSL_sk_value(stack, i)
            buf = ctypes.c_void_p()
            size = libcrypto.i2d_X509(cert, ctypes.byref(buf))
            if size > 0:
                der = ctypes.string_at(buf, size)
                libcrypto.CRYPTO_free(buf, None, 0)
                if der != leaf:            # the server-side stack leaves the leaf out (OpenSSL); be safe either way
                    chain.append(der)
    return chain
