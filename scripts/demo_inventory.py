"""Write a YAML inventory of the simulated fleet (address list from the simulator's control API)."""
import json
import sys
import urllib.request

port, demo = sys.argv[1], sys.argv[2]
with urllib.request.urlopen('http://127.0.0.1:%s/devices' % port, timeout=10) as resp:
    addresses = json.loads(resp.read())
print('all:')
print('  children:')
print('    amt:')
print('      vars:')
print('        ansible_connection: local')
print('        ansible_python_interpreter: "{{ ansible_playbook_python }}"')
print('        amt_ca_path: %s/state/ca.pem' % demo)
print('      hosts:')
for i, addr in enumerate(addresses):
    print('        amt-%02d:' % (i + 1))
    print('          amt_host: %s' % addr)
