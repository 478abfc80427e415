#!/usr/bin/env bash
# make matrix: unit tests on the oldest and newest ansible-core this machine's Pythons run.
# ansible-core 2.16-2.19 run on Python 3.11; 2.20 needs Python 3.12+, tried when such a Python exists.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
run() {  # run <python> <ansible-core spec> <name>
  local venv="build/matrix-$3"
  [ -x "$venv/bin/python" ] || "$1" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q "ansible-core$2" -r requirements.txt pytest hypothesis pyyaml pyfatfs
  "$venv/bin/ansible" --version > "$venv/version.txt"
  echo "== $(sed -n 1p "$venv/version.txt") on $("$venv/bin/python" --version)"
  "$venv/bin/python" -m pytest tests/unit -q -p no:cacheprovider
}
run python3.11 '>=2.16,<2.17' core216
run python3.11 '>=2.19,<2.20' core219
for py in python3.13 python3.12; do
  if command -v "$py" >/dev/null 2>&1; then run "$py" '>=2.20,<2.21' core220; break; fi
done
command -v python3.12 >/dev/null 2>&1 || command -v python3.13 >/dev/null 2>&1 || \
  echo "== ansible-core 2.20 skipped: it needs Python 3.12 or later and this machine has only $(python3 --version)"
