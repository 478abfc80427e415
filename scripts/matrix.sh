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
newer=""
for py in python3.14 python3.13 python3.12; do
  # pyenv shims exist for versions that are not installed: ask the interpreter itself
  if "$py" --version >/dev/null 2>&1; then newer=$py; break; fi
done
if [ -n "$newer" ]; then
  run "$newer" '>=2.20' core220
else
  echo "== ansible-core 2.20 skipped: it needs Python 3.12 or later and this machine has only $(python3 --version)"
fi
