#!/usr/bin/env bash
# make galaxy-check: build the Galaxy tarball, make sure it carries no test output, venvs or build
# artefacts, install it into a fresh venv (ansible-core + requirements.txt only) and run the demo
# playbooks from the installed collection against the simulated fleet.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
python=${PYTHON:-python3.11}
rm -f build/oob-amt-*.tar.gz
.venv/bin/ansible-galaxy collection build --force --output-path build/ . >/dev/null
tarball=$(ls build/oob-amt-*.tar.gz)
listing=$(tar tzf "$tarball")
echo "== built $tarball ($(du -k "$tarball" | cut -f1) KiB, $(wc -l <<<"$listing") entries)"
if grep -E '(^|/)(\.venv[^/]*|\.collections|build|tests/output|\.ansible|\.zone|__pycache__|\.pytest_cache|\.hypothesis)(/|$)|^importer_result.json$' <<<"$listing"; then
  echo "the tarball carries files it must not (above)"; exit 1
fi
for must in MANIFEST.json meta/runtime.yml plugins/modules/amt_power.py plugins/inventory/amt.py \
    roles/enterprise_mode/meta/argument_specs.yml playbooks/demo.yml; do
  grep -qx "$must" <<<"$listing" || { echo "missing from the tarball: $must"; exit 1; }
done
fresh="$root/build/fresh-venv"
rm -rf "$fresh" build/fresh-collections
"$python" -m venv "$fresh"
"$fresh/bin/python" -m pip install -q --upgrade pip
"$fresh/bin/python" -m pip install -q 'ansible-core>=2.16,<2.20' -r requirements.txt
"$fresh/bin/ansible-galaxy" collection install --force -p build/fresh-collections "$tarball" >/dev/null 2>&1
test -f build/fresh-collections/ansible_collections/oob/amt/MANIFEST.json
echo "== installed into a fresh venv: $("$fresh/bin/ansible" --version | head -1)"
"$fresh/bin/ansible-doc" -t module oob.amt.amt_power >/dev/null
DEMO_ANSIBLE_BIN="$fresh/bin" DEMO_COLLECTIONS_PATH="$root/build/fresh-collections" bash scripts/demo.sh
