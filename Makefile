# The table of contents of what a person can do here: `make help` lists it.
# Every target that needs the virtual environment depends on $(VENV_STAMP), which builds .venv from the
# lock file on a fresh clone (only Python 3.11 and the package registry are needed). It compiles the
# installed packages' bytecode once: where PYTHONDONTWRITEBYTECODE is set (as on our CI machines), every
# Python process would otherwise compile schemathesis, Hypothesis and the rest from source again, and
# make test starts dozens of them.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.synced
UV_VERSION := 0.13.8
PORT ?= 8400

export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help contract node-sdk contract-cleanup drift migration-report test generate check-generated dist test-pythons release-prepare serve lint lint-workflows types validate-spec unit contract-embedded mutation mutation-merge mutation-subset spec-flow false-alarms bench bench-cases venv clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV_STAMP): uv.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --exact --quiet --compile-bytecode
	@touch $@

venv: $(VENV_STAMP) ## Create or update .venv from uv.lock

contract: $(VENV_STAMP) ## Run the contract suite (embedded reference server, or LAVA_BASE_URL + LAVA_API_KEY)
	$(BIN)/python scripts/contract.py $(ARGS)

# The single-process checks (mypy alone takes a core for most of a minute) run beside the unit tests, which
# spread over every core themselves and wait on servers often enough to leave room; the fault subset, which
# keeps both cores busy, comes after. The unit
# tests run the contract suite against the embedded server too: `make contract`'s program in every
# documented configuration (tests/suite/test_contract_configurations.py), and each spec-flow change in a copy
# (tests/spec/test_spec_flow.py).
# The repository's own modules are compiled first, for the same reason as the environment's (see the top):
# with PYTHONDONTWRITEBYTECODE set, every server, suite and script process `make test` starts would compile
# lava_spec, contract_tests, the generated client and the scripts from source again.
test: $(VENV_STAMP) ## Everything: lint, types, spec, generated code, spec changes flowing through, unit tests, fault subset
	@$(BIN)/python -m compileall -q -j0 lava_spec contract_tests scripts spec_drift generated/lava_client > /dev/null
	@$(MAKE) --no-print-directory -j3 --output-sync=target lint types validate-spec check-generated unit
	@$(MAKE) --no-print-directory mutation-subset
	@echo "make test: all green"

# Two workers per core (pytest-xdist): every test uses ephemeral ports and its own tmp_path, and many wait
# on a server, a subprocess or a timeout they provoke, so a second worker per core fills the wait (on 2 cores:
# 183 s with 2 workers, 163 s with 3, 155 s with 4).
UNIT_WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))
unit: $(VENV_STAMP) ## The project's own pytest suite (tests/), two workers per core (UNIT_WORKERS=...)
	$(BIN)/pytest -n $(UNIT_WORKERS) --dist worksteal tests $(ARGS)

contract-embedded: $(VENV_STAMP) ## The contract suite against the embedded server, whatever LAVA_BASE_URL says
	env -u LAVA_BASE_URL -u LAVA_API_KEY -u LAVA_API_KEY_2 $(BIN)/python scripts/contract.py

contract-cleanup: $(VENV_STAMP) ## Revoke the keys earlier (killed) contract runs left on LAVA_BASE_URL, by name prefix
	$(BIN)/python scripts/contract_cleanup.py $(ARGS)

# Ours is the spec of LAVA_API_VERSION (v0 when not given), as spec_drift's own default: v0's paths are under
# /manage, so comparing it with Lava's published document wants ARGS="--same-prefix /manage". `--accepted`
# applies that version's record of accepted drift when it has one (openapi/drift-accepted-v2.yaml), as the
# daily workflow does; ARGS="--accepted FILE" names another.
drift: $(VENV_STAMP) ## Compare an upstream OpenAPI document (UPSTREAM=file or URL) with the spec of LAVA_API_VERSION
	@test -n "$(UPSTREAM)" || { echo "make drift: set UPSTREAM to a file or URL of Lava's OpenAPI document" >&2; exit 2; }
	$(BIN)/python -m spec_drift "$(UPSTREAM)" --accepted $(ARGS)

migration-report: $(VENV_STAMP) ## Write docs/migrating-v0-to-v2.md, the users' page of what changed from v0 to v2 (spec_drift)
	$(BIN)/python scripts/migration_report.py

mutation: $(VENV_STAMP) ## Run the contract suite against every seeded fault of LAVA_API_VERSION's spec; print the kill matrix (reports/mutation.md, v2: mutation-v2.md); SHARD=i/N for a share
	$(BIN)/python scripts/mutation.py $(if $(SHARD),--shard $(SHARD)) $(ARGS)

mutation-merge: $(VENV_STAMP) ## Merge LAVA_API_VERSION's shard files under DIR (default reports) into reports/mutation.md (v2: mutation-v2.md); fail as `make mutation` would
	$(BIN)/python scripts/mutation.py --merge $(or $(DIR),reports) $(ARGS)

# No seed of the conforming server here: the unit tests run the suite on it under fresh seeds already (each
# combination of the optional variables, and each spec-flow change); `make false-alarms` runs 200.
mutation-subset: $(VENV_STAMP) ## The faults `make test` runs: eight on v0, one of each class at least, and those only v2's spec has (no baseline)
	LAVA_API_VERSION=v0 $(BIN)/python scripts/mutation.py --subset --seeds 0 --no-baseline
	LAVA_API_VERSION=v2 $(BIN)/python scripts/mutation.py --subset --seeds 0 --no-baseline

spec-flow: $(VENV_STAMP) ## Prove the spec drives everything: each change of scripts/spec_flow.py, applied to a copy, generated, served and tested
	$(BIN)/python scripts/spec_flow.py $(if $(SPEC_FLOW_JOBS),--jobs $(SPEC_FLOW_JOBS)) $(ARGS)

false-alarms: $(VENV_STAMP) ## The whole contract suite on the conforming server under RUNS fresh random seeds (default 50), JOBS at once
	$(BIN)/python scripts/false_alarms.py --runs $(or $(RUNS),50) --jobs $(or $(JOBS),2) $(ARGS)

# Needs Node.js 18+ and npm (and the npm registry, or npm's cache); tests/interop/test_node_sdk.py runs the
# same program for v0 and v2 inside `make test`, so this target is for a person who wants to see the six lines.
node-sdk: $(VENV_STAMP) ## Lava's own Node SDK (npm, pinned in interop/node_sdk/): its six spend-key methods against the reference server
	$(BIN)/python scripts/node_sdk.py $(ARGS)

bench: $(VENV_STAMP) ## Per-call cost of lava_client (sync, async) against raw httpx and the plain generated client
	$(BIN)/python scripts/bench.py $(ARGS)

bench-cases: $(VENV_STAMP) ## Requests per second: the contract suite beside the schemathesis CLI, same server and spec
	$(BIN)/python scripts/bench_cases.py

generate: $(VENV_STAMP) ## Regenerate generated/lava_client from openapi/
	$(BIN)/python scripts/generate.py

check-generated: $(VENV_STAMP) ## Fail if generated/ or the migration page differs from what openapi/ gives, or the spec's version from what its changes require
	$(BIN)/python scripts/check_generated.py
	$(BIN)/python scripts/migration_report.py --check
	$(BIN)/python scripts/release.py --check

dist: $(VENV_STAMP) ## Build lava-client's wheel and sdist into dist/ (the same bytes every time) and twine-check them
	$(BIN)/python scripts/dist.py

# Not part of `make test`, which needs only Python 3.11: this needs pyenv's 3.12 and 3.13 too (~15 s).
test-pythons: dist ## Install the built wheel under Python 3.11, 3.12 and 3.13 (nox) and run the README example in each
	$(BIN)/nox --noxfile noxfile.py $(ARGS)

release-prepare: $(VENV_STAMP) ## Record the release of the spec's info.version: openapi/released/ and a CHANGELOG.md entry
	$(BIN)/python scripts/release.py --prepare

serve: $(VENV_STAMP) ## Run the reference server on 127.0.0.1:8400 (LAVA_API_VERSION=v2 for v2, PORT=... to move it, FAULT=name to break it)
	$(BIN)/python -m contract_tests.reference_server --host 127.0.0.1 --port $(PORT) $(if $(FAULT),--fault $(FAULT)) $(ARGS)

lint: $(VENV_STAMP) lint-workflows ## ruff check and ruff format --check, and the workflow linters
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# actionlint (with the pinned shellcheck on PATH) and zizmor, offline: no GitHub API, no token; zizmor reads
# .github/zizmor.yml, where any accepted finding is listed with its reason.
lint-workflows: $(VENV_STAMP) ## actionlint and zizmor over .github/workflows/
	$(BIN)/actionlint -no-color -oneline && $(BIN)/zizmor --offline --no-progress .github/workflows

types: $(VENV_STAMP) ## mypy --strict over hand-written and generated code
	$(BIN)/mypy

validate-spec: $(VENV_STAMP) ## Validate every version's spec (openapi/lava.yaml, v0; openapi/lava-v2.yaml, v2) against the OpenAPI schema
	$(BIN)/openapi-spec-validator openapi/lava.yaml openapi/lava-v2.yaml

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .hypothesis .schemathesis .ruff_cache .mypy_cache .pytest_cache reports
