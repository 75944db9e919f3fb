# dockyard.ecr — the two commands: `make demo` and `make test`. Both set the machine up first.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
VENV ?= $(ROOT)/.venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTHON_VERSION := 3.11
# ansible-test sanity's mirror of the checkout (make test gives it one apart from the integration targets').
SANITY_TREE ?= $(ROOT)/.build/test
INTEGRATION_TREE ?= $(ROOT)/.build/test
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/.build/collections
export PYTHONPATH := $(ROOT)/.build/collections
export BUILDAH_ISOLATION := chroot
# The emulator for `make test` listens on its own ports and keeps its state under .build, so a
# `make demo` emulator (default ports, .localaws) can keep running beside it. The ports are below Linux's
# ephemeral range (32768-60999), where an outgoing connection may hold a port before a server binds it,
# and below the 20000-29999 block tests/support picks free ports from.
TEST_MOTO_PORT ?= 15400
TEST_BRIDGE_PORT ?= 15401
TEST_REGISTRY_PORT ?= 15743
TEST_LOCALAWS_HOME ?= $(ROOT)/.build/localaws-test
# The version matrix and molecule run beside the integration targets (make test's lanes): own ports.
MATRIX_EMULATOR := TEST_MOTO_PORT=15500 TEST_BRIDGE_PORT=15501 TEST_REGISTRY_PORT=15843 \
	TEST_LOCALAWS_HOME=$(ROOT)/.build/localaws-matrix
MOLECULE_EMULATOR := LOCALAWS_MOTO_PORT=15460 LOCALAWS_BRIDGE_PORT=15461 LOCALAWS_REGISTRY_PORT=15860
TEST_LOCALAWS := LOCALAWS_HOME=$(TEST_LOCALAWS_HOME) LOCALAWS_MOTO_PORT=$(TEST_MOTO_PORT) \
	LOCALAWS_BRIDGE_PORT=$(TEST_BRIDGE_PORT) LOCALAWS_REGISTRY_PORT=$(TEST_REGISTRY_PORT) \
	LOCALAWS_ACCOUNTS="123456789012 111111111111"
LOCALAWS := $(PY) $(ROOT)/tools/localaws/localaws
PY_SOURCES := plugins tests tools

.PHONY: help setup demo test test-lane-integration test-lane-integration-b test-lane-suites test-lane-checks lint sanity units emulator-tests package-tests galaxy-import matrix docs-tests runner-tests integration integration-aws molecule reliability-tests build docs bench clean

help:
	@echo "make demo   set up, start the local AWS emulator and run the example job against it"
	@echo "make test   set up and run the whole suite: lint, sanity, unit, emulator, integration"
	@echo "make bench  converge and publish at scale, side by side with the ecs_ecr loop (not in make test)"
	@echo "make setup  only the set-up (venv, collections, apt packages); fast when done already"
	@echo "make lint | sanity | units | emulator-tests | package-tests | galaxy-import | matrix | integration | build"

setup:
	@VENV=$(VENV) bash tools/setup.sh

# Four lanes side by side after lint (2 cores: the emulator-backed tiers spend much of their time waiting
# on emulators, image builds and retries while another lane computes): two integration shards, the suites
# under tests/, and the checks. Each lane's emulators have ports of their own (the integration shards and the
# matrix: TEST_*; molecule: MOLECULE_EMULATOR; the suites in tests/: free ports from tests/support), and
# sanity and each integration shard a test tree of their own. A failing tier fails its lane
# and `make test`.
test: setup
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory -j4 --output-sync=line test-lane-integration test-lane-integration-b test-lane-suites test-lane-checks
	@echo "make test: all tiers passed"

# The integration targets in two shards side by side, each with a test tree and an emulator of its own:
# INTEGRATION_SHARD_A names the first shard's targets, the second takes every other target (new ones
# included). `make integration` still runs them all in one go.
INTEGRATION_TARGETS := $(filter-out setup_%,$(notdir $(wildcard tests/integration/targets/*)))
INTEGRATION_SHARD_A := publish ecr_image_promote ecr_image_scan_info ecr_login ecr_repo_info inventory_aws_accounts lookup_image_digest
INTEGRATION_SHARD_B := $(filter-out $(INTEGRATION_SHARD_A),$(INTEGRATION_TARGETS))

test-lane-integration:
	@$(MAKE) --no-print-directory integration TARGETS="$(INTEGRATION_SHARD_A)"

test-lane-integration-b:
	@$(MAKE) --no-print-directory integration TARGETS="$(INTEGRATION_SHARD_B)" INTEGRATION_TREE=$(ROOT)/.build/test-int-b \
		TEST_MOTO_PORT=15410 TEST_BRIDGE_PORT=15411 TEST_REGISTRY_PORT=15753 TEST_LOCALAWS_HOME=$(ROOT)/.build/localaws-test-b

test-lane-suites:
	@$(MAKE) --no-print-directory emulator-tests runner-tests reliability-tests

test-lane-checks:
	@$(MAKE) --no-print-directory SANITY_TREE=$(ROOT)/.build/test-sanity sanity units package-tests galaxy-import docs-tests
	@$(MAKE) --no-print-directory $(MATRIX_EMULATOR) matrix
	@$(MAKE) --no-print-directory molecule $(MOLECULE_EMULATOR)

lint:
	$(BIN)/black --check --diff --quiet --line-length 120 $(PY_SOURCES)
	$(BIN)/isort --check-only --diff --profile black --line-length 120 $(PY_SOURCES)
	$(BIN)/yamllint -s -c .yamllint .
	$(BIN)/antsibull-changelog lint
	$(BIN)/ansible-lint -q playbooks inventories $(wildcard roles/*)

sanity:
	@tree=$$(TEST_TREE=$(SANITY_TREE) bash tools/test-tree.sh) && cd $$tree && \
		$(BIN)/ansible-test sanity --python $(PYTHON_VERSION) --local --color no

units:
	$(BIN)/pytest -q tests/unit

emulator-tests:
	$(BIN)/pytest -q tests/emulator

# Documentation: examples use real options, ansible-doc renders, the reference is current, the EE builds.
docs-tests:
	$(BIN)/pytest -q tests/docs

# configure.yml and publish.yml run through ansible-runner the way AWX runs them.
runner-tests:
	$(BIN)/pytest -q tests/runner

# Faults (throttling, 5xx, dropped connections), partial failure, bad input, deletion safety,
# secrets at -vvv, concurrent auth-file writers.
reliability-tests:
	$(BIN)/pytest -q tests/reliability

# Opt-in: run the whole integration suite at -vvv and scan it for secrets (about 9 minutes).
secrets-scan:
	DOCKYARD_SECRETS_FULL=1 $(BIN)/pytest -q tests/reliability/test_secrets.py -k integration_suite

# Benchmarks (bench/README.md), never part of `make test`; N=, ACCOUNTS=, BASELINE_ACCOUNTS=, REPEAT=, PUBLISH= override.
bench: setup
	$(PY) bench/run.py

# Regenerate docs/reference from the modules' and roles' documentation.
docs:
	$(PY) tools/docs/reference.py

# The built tarball installs and its modules run (against a moto server of its own).
package-tests:
	$(BIN)/pytest -q tests/packaging

# galaxy-importer on the built tarball, as Galaxy runs it on upload: any error or warning fails
# (its own venv under .build/galaxy-importer; tests/packaging/galaxy-importer.cfg; about 30 s).
galaxy-import:
	@VENV=$(VENV) bash tools/galaxy-import.sh

# ansible-test integration targets against the emulator. ansible-test reads the emulator's
# endpoint, keys and registry host from tests/integration/cloud-config-aws.ini in its tree.
integration:
	@tree=$$(TEST_TREE=$(INTEGRATION_TREE) bash tools/test-tree.sh) && \
	trap '$(TEST_LOCALAWS) $(LOCALAWS) down >/dev/null' EXIT && \
	$(TEST_LOCALAWS) $(LOCALAWS) up && \
	$(TEST_LOCALAWS) $(LOCALAWS) env --format json | $(PY) tools/cloud-config.py >$$tree/tests/integration/cloud-config-aws.ini && \
	cd $$tree && $(BIN)/ansible-test integration --python $(PYTHON_VERSION) --local --color no --allow-unsupported $(TARGETS)

# The same targets against a real AWS account (docs/testing.md): AWS_CLOUD_CONFIG names a filled-in copy of
# tests/integration/cloud-config-aws.ini.template. Targets that need the emulator (alias unsupported) are skipped.
integration-aws:
	@test -f "$(AWS_CLOUD_CONFIG)" || { echo "make integration-aws: set AWS_CLOUD_CONFIG to a filled-in copy of tests/integration/cloud-config-aws.ini.template" >&2; exit 2; }
	@tree=$$(bash tools/test-tree.sh) && cp "$(AWS_CLOUD_CONFIG)" $$tree/tests/integration/cloud-config-aws.ini && \
	cd $$tree && $(BIN)/ansible-test integration --python $(PYTHON_VERSION) --local --color no $(TARGETS)

# The version matrix (tools/version-matrix.yml): the oldest and the newest ansible-core and amazon.aws
# claimed, each with the unit suite, ansible-doc of every module and role, and one integration target
# against the emulator. Venvs, wheels and collections are kept under .build/matrix.
matrix:
	@trap '$(TEST_LOCALAWS) $(LOCALAWS) down >/dev/null' EXIT && \
	$(TEST_LOCALAWS) $(LOCALAWS) up && \
	mkdir -p .build/matrix && \
	$(TEST_LOCALAWS) $(LOCALAWS) env --format json | $(PY) tools/cloud-config.py >.build/matrix/cloud-config-aws.ini && \
	$(PY) tools/version-matrix.py --cloud-config .build/matrix/cloud-config-aws.ini

demo: setup
	@$(LOCALAWS) up
	@set -a && eval "$$($(LOCALAWS) env)" && set +a && \
		$(BIN)/ansible-playbook -i inventories/local playbooks/demo.yml -e @examples/hello/publish-vars.yml

# The roles' molecule scenarios under extensions/molecule, as the molecule guide for collections runs them:
# the `default` scenario's create and destroy start and stop the emulator around all the others
# (shared_state). tools/molecule puts the venv first on PATH. LOCALAWS_*_PORT move the emulator.
molecule:
	cd extensions && VENV=$(VENV) LOCALAWS_HOME=$(ROOT)/.build/localaws-molecule ../tools/molecule test --all

build:
	@rm -rf .build/dist && mkdir -p .build/dist
	$(BIN)/ansible-galaxy collection build --output-path .build/dist .

clean:
	-$(LOCALAWS) down
	rm -rf .build
