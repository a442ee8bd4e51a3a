# rdmaops.fabric developer entry points. `make help` lists them.
# Everything installs itself: `make deps` builds .venv from pinned requirements; the lab
# targets install podman, build the node image and the Kubernetes binaries (cached outside
# the repo in $(RDMAOPS_CACHE), keyed by version).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RDMAOPS_CACHE ?= $(HOME)/.cache/rdmaops
RESULTS := .test-results
export RDMAOPS_CACHE

# A collection tree `ansible_collections/rdmaops/fabric` -> this checkout, so that
# ansible, molecule and pytest resolve rdmaops.fabric.* without installing it.
COLLECTIONS_DIR := .lab/collections
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS_DIR)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := true

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

## --- toolchain -------------------------------------------------------------
$(VENV)/.stamp: requirements.txt requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements.lock
	@touch $@

$(COLLECTIONS_DIR)/ansible_collections/rdmaops/fabric:
	@mkdir -p $(@D)
	@ln -sfn $(CURDIR) $@

.PHONY: deps
deps: $(VENV)/.stamp $(COLLECTIONS_DIR)/ansible_collections/rdmaops/fabric ## create .venv (pinned) and the collection link; a no-op when up to date

.PHONY: lock
lock: ## regenerate requirements.lock from a fresh resolve of requirements.txt
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --quiet -r requirements.txt
	{ echo '# Full resolved set for requirements.txt (pip freeze of a fresh .venv, Python 3.11). Regenerate with `make lock`.'; \
	  .venv-lock/bin/pip freeze --exclude-editable; } > requirements.lock && rm -rf .venv-lock

## --- static checks ---------------------------------------------------------
.PHONY: lint
lint: deps ## ansible-lint (production profile), yamllint, ruff
	$(BIN)/yamllint --strict .
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ansible-lint --profile production

.PHONY: sanity
sanity: deps ## ansible-test sanity on the built collection (no ignore files)
	tests/sanity/run

.PHONY: build
build: deps ## build the collection tarball
	$(BIN)/ansible-galaxy collection build --force --output-path $(RESULTS)/build .

## --- tests -----------------------------------------------------------------
.PHONY: unit
unit: deps ## unit tests of the plugins with coverage (>= 90% of plugins/)
	@mkdir -p $(RESULTS)
	$(BIN)/pytest tests/unit/plugins -p no:cacheprovider \
	  --cov=plugins --cov-report=term-missing:skip-covered --cov-fail-under=90 \
	  --junitxml=$(RESULTS)/unit.xml

.PHONY: test
test: deps ## every suite (lint, sanity, unit, hwsim, molecule, cluster) and one total line
	$(BIN)/python tests/run_all.py

-include mk/*.mk
