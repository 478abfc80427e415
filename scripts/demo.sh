#!/usr/bin/env bash
# make demo: start a simulated AMT fleet on loopback, run the main workflows through the installed
# collection, print what happened, stop the fleet.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py="$root/.venv/bin/python"
demo="$root/build/demo"
rm -rf "$demo"
mkdir -p "$demo/results"
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$demo/fleet.json" <<'JSON'
{"devices": {
  "127.30.0.3": {"provisioning_state": 2, "provisioning_mode": 1, "control_mode": 2},
  "127.30.0.4": {"power_state": 8},
  "127.30.0.5": {"power_state": 8},
  "127.30.0.9": {"provisioning_state": 2, "provisioning_mode": 1, "control_mode": 2, "power_state": 8},
  "127.30.0.11": {"provisioning_state": 0, "provisioning_mode": 1, "control_mode": 0, "local_password": "Demo-Local-11"},
  "127.30.0.12": {"provisioning_state": 0, "provisioning_mode": 1, "control_mode": 0, "local_password": "Demo-Local-12",
                  "hash_create_allowed": true}
}}
JSON
# the host-local account the demo would read from /dev/mei0 on a real host
echo -n Demo-Local-11 > "$demo/local-127.30.0.11.txt"
echo -n Demo-Local-12 > "$demo/local-127.30.0.12.txt"
"$py" -m tests.simulator --devices 12 --first-address 127.30.0.1 --state-dir "$demo/state" \
  --request-log "$demo/requests.log" --control-port "$port" --fleet-spec "$demo/fleet.json" \
  > "$demo/simulator.out" 2> "$demo/simulator.err" &
sim=$!
trap 'kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  grep -q '^READY' "$demo/simulator.out" 2>/dev/null && break
  kill -0 "$sim" 2>/dev/null || { cat "$demo/simulator.err"; exit 1; }
  sleep 0.1
done
grep -q '^READY' "$demo/simulator.out" || { echo "simulator did not start"; exit 1; }
echo "== simulated fleet: $(cat "$demo/simulator.out") devices on 127.30.0.1-12 (HTTP 16992, TLS 16993, CA $demo/state/ca.pem)"
cat > "$demo/fleet.amt.yml" <<YAML
plugin: oob.amt.amt
ranges: [127.30.0.1-127.30.0.16]
ca_path: $demo/state/ca.pem
timeout: 2
YAML
echo "== discovering 127.30.0.1-16 with the oob.amt.amt inventory plugin"
# DEMO_ANSIBLE_BIN: the ansible-core to run the demo with (make galaxy-check passes a fresh venv's)
bin="${DEMO_ANSIBLE_BIN:-$root/.venv/bin}"
export ANSIBLE_COLLECTIONS_PATH="${DEMO_COLLECTIONS_PATH:-$root/build/collections}"
export ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_NOCOLOR=1
export AMT_PASSWORD='P@ssw0rd'
# the inventory plugin hands the hosts its ca_path (amt_ca_path) and the controller's Python itself
"$bin/ansible-inventory" -i "$demo/fleet.amt.yml" --list > "$demo/inventory.json"
"$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("   groups: " + ", ".join("%s (%d)" % (g, len(v.get("hosts", []))) for g, v in sorted(d.items()) if g.startswith("amt")))' "$demo/inventory.json"
"$bin/ansible-playbook" -i "$demo/fleet.amt.yml" playbooks/demo.yml -e "demo_dir=$demo" \
  > "$demo/playbook.log" 2>&1 || { tail -n 60 "$demo/playbook.log"; exit 1; }
"$py" scripts/demo_summary.py "$demo"
echo "(full playbook output: $demo/playbook.log; request log: $demo/requests.log)"
