"""The two baselines of `make bench` (scripts/bench.py), each run as its own process:

  script  what a competent admin would write without Ansible: a pool of threads (same concurrency as the
          collection), one requests.Session per device over TLS (the fleet CA verified), and a digest handler
          that works on every AMT version: requests' HTTPDigestAuth picks qop only from an exact 'auth' token,
          and firmware that offers qop="auth-int, auth" (a space after the comma) gets no answer at all, so
          the handler normalises the token list first. Exchanges: Enumerate (401 + retry), then
          RequestPowerStateChange when the device is not on.
  floor   the protocol minimum, nothing else: asyncio streams, one TLS connection for the 401 (firmware
          closes it), one for the authenticated Enumerate and, on the same keep-alive connection, the
          RequestPowerStateChange when needed. Regex instead of an XML parser, no retries, no checks beyond
          the status codes. Nothing can do these exchanges with less work on this machine.

    python scripts/bench_clients.py script|floor ADDRESS_FILE PASSWORD CA_PATH CONCURRENCY
prints one JSON line: {"handled": n, "changed": n, "failed": [[address, reason], ...], "wall": s}.
Only the standard library and requests (a test/bench dependency, never used by plugins/).
"""
import asyncio
import hashlib
import json
import os
import re
import ssl
import sys
import time
from concurrent.futures import ThreadPoolExecutor

CIM = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/'
ENVELOPE = (
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>%s</a:Action>'
    '<a:To>/wsman</a:To><w:ResourceURI>%s</w:ResourceURI><a:MessageID>uuid:%s</a:MessageID><a:ReplyTo>'
    '<a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>'
    '<w:OperationTimeout>PT60S</w:OperationTimeout></s:Header><s:Body>%s</s:Body></s:Envelope>')
ENUMERATE = ('http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate', CIM + 'CIM_ServiceAvailableToElement',
             '<n:Enumerate xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><w:OptimizeEnumeration/>'
             '<w:MaxElements>100</w:MaxElements></n:Enumerate>')
POWER_ON = (CIM + 'CIM_PowerManagementService/RequestPowerStateChange', CIM + 'CIM_PowerManagementService',
            '<h:RequestPowerStateChange_INPUT xmlns:h="%sCIM_PowerManagementService"><h:PowerState>2</h:PowerState>'
            '<h:ManagedElement><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing</a:Address>'
            '<a:ReferenceParameters><w:ResourceURI>%sCIM_ComputerSystem</w:ResourceURI><w:SelectorSet>'
            '<w:Selector Name="CreationClassName">CIM_ComputerSystem</w:Selector><w:Selector Name="Name">'
            'ManagedSystem</w:Selector></w:SelectorSet></a:ReferenceParameters></h:ManagedElement>'
            '</h:RequestPowerStateChange_INPUT>' % (CIM, CIM))
POWER_STATE = re.compile(r'<(?:\w+:)?PowerState>(\d+)</')
RETURN_VALUE = re.compile(r'<(?:\w+:)?ReturnValue>(\d+)</')


def envelope(parts, n):
    action, resource, body = parts
    return (ENVELOPE % (action, resource, '00000000-0000-4000-8000-%012d' % n, body)).encode()


# -- the script: threads + requests ------------------------------------------------------------------------
def run_script(addresses, password, ca_path, concurrency):
    import requests
    from requests.auth import HTTPDigestAuth

    class AmtDigest(HTTPDigestAuth):
        """HTTPDigestAuth that also answers qop="auth-int, auth" (older and newer AMT firmware)."""

        def build_digest_header(self, method, url):
            chal = self._thread_local.chal
            qop = chal.get('qop')
            if qop:
                tokens = [q.strip() for q in qop.split(',')]
                chal['qop'] = 'auth' if 'auth' in tokens else qop
            return super(AmtDigest, self).build_digest_header(method, url)

    headers = {'Content-Type': 'application/soap+xml;charset=UTF-8'}

    def one(addr):
        url = 'https://%s:16993/wsman' % addr
        with requests.Session() as session:
            session.trust_env = False     # REQUESTS_CA_BUNDLE & co. must not replace the fleet CA
            session.auth = AmtDigest('admin', password)
            r = session.post(url, data=envelope(ENUMERATE, 1), headers=headers, timeout=30, verify=ca_path)
            if r.status_code != 200:
                return addr, False, 'enumerate: HTTP %d' % r.status_code
            state = POWER_STATE.search(r.text)
            if state and state.group(1) == '2':
                return addr, False, None
            r = session.post(url, data=envelope(POWER_ON, 2), headers=headers, timeout=30, verify=ca_path)
            rv = RETURN_VALUE.search(r.text)
            if r.status_code != 200 or not rv or rv.group(1) != '0':
                return addr, False, 'power on: HTTP %d' % r.status_code
            return addr, True, None

    def guarded(addr):
        try:
            return one(addr)
        except Exception as exc:   # a benchmark records the failure and goes on
            return addr, False, '%s: %s' % (type(exc).__name__, exc)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(guarded, addresses))


# -- the floor: asyncio, protocol minimum -------------------------------------------------------------------
async def _read_response(reader):
    head = await reader.readuntil(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ':' in line:
            k, v = line.split(':', 1)
            headers[k.strip().lower()] = v.strip()
    if 'content-length' in headers:
        body = await reader.readexactly(int(headers['content-length']))
    elif headers.get('transfer-encoding', '').lower() == 'chunked':
        parts = []
        while True:
            size = int((await reader.readuntil(b'\r\n')).split(b';')[0], 16)
            if size == 0:
                await reader.readuntil(b'\r\n')
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b''.join(parts)
    else:
        body = await reader.read()
    return status, headers, body


def _challenge(header):
    return dict((k, v1 or v2) for k, v1, v2 in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', header))


def _authorization(chal, password, body, nc, cnonce):
    realm, nonce = chal['realm'], chal['nonce']
    tokens = [q.strip() for q in chal.get('qop', 'auth').split(',')]
    qop = 'auth' if 'auth' in tokens else 'auth-int'
    ha1 = hashlib.md5(('admin:%s:%s' % (realm, password)).encode()).hexdigest()
    ha2_in = 'POST:/wsman' + (':' + hashlib.md5(body).hexdigest() if qop == 'auth-int' else '')
    ha2 = hashlib.md5(ha2_in.encode()).hexdigest()
    response = hashlib.md5(('%s:%s:%08x:%s:%s:%s' % (ha1, nonce, nc, cnonce, qop, ha2)).encode()).hexdigest()
    value = ('Digest username="admin", realm="%s", nonce="%s", uri="/wsman", response="%s", qop=%s, nc=%08x, '
             'cnonce="%s"' % (realm, nonce, response, qop, nc, cnonce))
    if chal.get('opaque'):
        value += ', opaque="%s"' % chal['opaque']
    return value


def _request(addr, body, auth=None):
    head = ('POST /wsman HTTP/1.1\r\nHost: %s:16993\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n'
            'Content-Length: %d\r\n' % (addr, len(body)))
    if auth:
        head += 'Authorization: %s\r\n' % auth
    return head.encode() + b'\r\n' + body


async def _floor_one(addr, password, ctx, sem):
    async with sem:
        writer = None
        try:
            body = envelope(ENUMERATE, 1)
            reader, writer = await asyncio.open_connection(addr, 16993, ssl=ctx, server_hostname=addr)
            writer.write(_request(addr, body))
            status, headers, _b = await _read_response(reader)
            writer.close()
            if status != 401:
                return addr, False, 'expected a challenge, got HTTP %d' % status
            chal = _challenge(headers['www-authenticate'])
            cnonce = os.urandom(8).hex()
            reader, writer = await asyncio.open_connection(addr, 16993, ssl=ctx, server_hostname=addr)
            writer.write(_request(addr, body, _authorization(chal, password, body, 1, cnonce)))
            status, headers, answer = await _read_response(reader)
            if status != 200:
                return addr, False, 'enumerate: HTTP %d' % status
            state = POWER_STATE.search(answer.decode('utf-8', 'replace'))
            if state and state.group(1) == '2':
                return addr, False, None
            body = envelope(POWER_ON, 2)
            writer.write(_request(addr, body, _authorization(chal, password, body, 2, cnonce)))
            status, headers, answer = await _read_response(reader)
            rv = RETURN_VALUE.search(answer.decode('utf-8', 'replace'))
            if status != 200 or not rv or rv.group(1) != '0':
                return addr, False, 'power on: HTTP %d' % status
            return addr, True, None
        except Exception as exc:
            return addr, False, '%s: %s' % (type(exc).__name__, exc)
        finally:
            if writer is not None:
                writer.close()


async def _floor(addresses, password, ca_path, concurrency):
    ctx = ssl.create_default_context(cafile=ca_path)
    sem = asyncio.Semaphore(concurrency)
    return await asyncio.gather(*[_floor_one(a, password, ctx, sem) for a in addresses])


def run_floor(addresses, password, ca_path, concurrency):
    return asyncio.run(_floor(addresses, password, ca_path, concurrency))


def main():
    kind, address_file, password, ca_path, concurrency = sys.argv[1:6]
    with open(address_file) as fh:
        addresses = [line.strip() for line in fh if line.strip()]
    started = time.monotonic()
    runner = run_script if kind == 'script' else run_floor
    results = runner(addresses, password, ca_path, int(concurrency))
    wall = time.monotonic() - started
    failed = [[a, reason] for a, _changed, reason in results if reason]
    print(json.dumps({'handled': len(results) - len(failed), 'changed': sum(1 for r in results if r[1]),
                      'failed': failed[:20], 'failed_count': len(failed), 'wall': wall}))


if __name__ == '__main__':
    main()
