# oob.amt — developer entry points. Every target works on a fresh machine with python3.11 and make.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
ROOT := $(CURDIR)
COLLECTIONS := $(ROOT)/.collections
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PATH := $(ROOT)/$(VENV)/bin:$(PATH)
# prefix of the test steps: each prints its wall and CPU time when it ends (where make test spends its time)
TIMED = TIMEFORMAT='$@: %0R s wall, %0U s user + %0S s sys CPU'; time
# prefix of lint and sanity; make test runs them at a lower priority beside the tests (see test:)
BACKGROUND ?=

.PHONY: help browser java eda-venv setup links build install sanity unit integration integration-parallel \
	integration-serial test lint demo bench clean \
	galaxy-check matrix changelog ee docs-check importer ecosystem release-tools

help:
	@echo "make demo   - start a simulated AMT fleet on loopback and run the main workflows against it"
	@echo "make test   - sanity + unit + integration tests (sets everything up first)"
	@echo "make bench  - benchmarks (writes docs/benchmarks.md)"
	@echo "make lint   - ansible-lint on roles and playbooks"
	@echo "make ecosystem - galaxy-check, docs-check, changelog, ee, matrix, importer (what a release needs)"

$(VENV)/.stamp: tests/requirements-dev.txt requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -r tests/requirements-dev.txt
	touch $@

setup: $(VENV)/.stamp links

links:
	@mkdir -p $(COLLECTIONS)/ansible_collections/oob
	@ln -sfn $(ROOT) $(COLLECTIONS)/ansible_collections/oob/amt

build: setup
	rm -f build/oob-amt-*.tar.gz
	$(VENV)/bin/ansible-galaxy collection build --force --output-path build/ .

install: build
	rm -rf build/collections
	$(VENV)/bin/ansible-galaxy collection install --force -p build/collections build/oob-amt-*.tar.gz

sanity: setup
	$(TIMED) $(BACKGROUND) bash scripts/sanity.sh

unit: setup
	$(TIMED) $(PY) -m pytest tests/unit -q -n 2

# The report test renders HTML in a real browser: Debian's Chromium, installed when missing and possible.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	    { apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && \
	      apt-get install -y -q chromium >/dev/null 2>&1; }; }; } || \
	  echo "Chromium is not installed and could not be installed here: test_report_browser will fail"

# ansible-rulebook runs on Java 17: Debian's headless JRE, installed when missing and possible.
java:
	@command -v java >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	    { apt-get install -y -q openjdk-17-jre-headless >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && \
	      apt-get install -y -q openjdk-17-jre-headless >/dev/null 2>&1; }; }; } || \
	  echo "Java 17 is not installed and could not be installed here: test_eda_rulebook will fail"

# Event-Driven Ansible: ansible-rulebook (needs Java 17) in its own venv, so the main venv stays lean.
# The integration test runs the example rulebook from it against simulated devices.
EDA_VENV := build/eda-venv
$(EDA_VENV)/.stamp: requirements.txt
	test -x $(EDA_VENV)/bin/python || $(PYTHON) -m venv $(EDA_VENV)
	$(EDA_VENV)/bin/pip install -q ansible-rulebook 'ansible-core<2.20' -r requirements.txt
	touch $@

eda-venv: $(EDA_VENV)/.stamp

# Independent tests run in parallel (pytest-xdist; --dist loadgroup: the tests of a file that share a module-scoped
# fixture stay together on one worker, a self-contained test goes to whichever worker is free, longest first:
# tests/integration/conftest.py; every worker picks its own loopback addresses), then the tests marked serial
# (they measure time under load) run alone.
INTEGRATION_JOBS ?= 2
integration: integration-parallel integration-serial

integration-parallel: setup browser java eda-venv
	$(TIMED) $(PY) -m pytest tests/integration -q -m 'not serial' -n $(INTEGRATION_JOBS) --dist loadgroup --no-loadscope-reorder

integration-serial: setup
	$(TIMED) $(PY) -m pytest tests/integration -q -m serial -n 0

lint: setup
	$(TIMED) $(BACKGROUND) $(VENV)/bin/ansible-lint --profile production $(wildcard playbooks roles)

# Unit, lint and sanity run beside the parallel integration tests: those spend part of their time waiting on
# simulated devices, and the others fill the gaps (each target's output is printed when it ends). Lint and sanity
# run niced: the integration tests are the longest step, so they get the CPU first. The tests marked serial
# measure time under load, so they run alone, last.
# The EDA venv is built beside the main one, so the integration tests start as soon as the tools are there.
test:
	$(MAKE) --no-print-directory -j4 --output-sync=target setup eda-venv browser java
	@echo "unit, integration (parallel), ansible-lint and ansible-test sanity run side by side; each prints when it ends"
	$(MAKE) --no-print-directory -j6 --output-sync=target BACKGROUND='nice -n 10' unit integration-parallel lint sanity
	$(MAKE) --no-print-directory integration-serial

demo: install
	bash scripts/demo.sh

bench: setup links
	$(PY) scripts/bench.py

# -- release and ecosystem checks -----------------------------------------------------------------
RVENV := build/release-venv

$(RVENV)/.stamp: tests/requirements-release.txt
	test -x $(RVENV)/bin/python || $(PYTHON) -m venv $(RVENV)
	$(RVENV)/bin/python -m pip install -q --upgrade pip
	$(RVENV)/bin/python -m pip install -q -r tests/requirements-release.txt
	touch $@

release-tools: $(RVENV)/.stamp links

galaxy-check: setup
	bash scripts/galaxy_check.sh

matrix:
	bash scripts/matrix.sh

changelog: release-tools
	$(RVENV)/bin/antsibull-changelog lint
	$(RVENV)/bin/python scripts/changelog.py

ee: release-tools
	rm -rf build/ee-context awx/oob-amt-*.tar.gz
	$(VENV)/bin/ansible-galaxy collection build --force --output-path awx/ .
	$(RVENV)/bin/ansible-builder create -f awx/execution-environment.yml -c build/ee-context --output-filename Containerfile -v 1
	test -s build/ee-context/Containerfile
	ls build/ee-context/_build/collections/oob-amt-*.tar.gz
	# what the image build will read from the installed collection's meta/execution-environment.yml
	rm -rf build/ee-introspect && $(VENV)/bin/ansible-galaxy collection install --force -p build/ee-introspect awx/oob-amt-*.tar.gz >/dev/null 2>&1
	$(RVENV)/bin/ansible-builder introspect --sanitize build/ee-introspect | tee build/ee-introspect.txt
	grep -q lxml build/ee-introspect.txt && grep -q cryptography build/ee-introspect.txt && grep -q libxml2 build/ee-introspect.txt
	@echo "build context in build/ee-context (building the image needs podman or docker: ansible-builder build)"

docs-check: setup
	$(PY) scripts/docs_check.py

importer: build release-tools
	$(RVENV)/bin/python -m galaxy_importer.main build/oob-amt-*.tar.gz

ecosystem: docs-check changelog ee galaxy-check importer matrix

clean:
	rm -rf build tests/output .pytest_cache
