# A thin shim over `cargo xtask`: every target is one xtask command, so the
# old habits (`make test`, `make frontend-build`, ...) keep working. No logic
# lives here; run `cargo xtask --help` for the real thing.

XTASK ?= cargo xtask

.DEFAULT_GOAL := help
.PHONY: help setup test frontend-install frontend-build frontend-dev
.PHONY: openapi frontend-typegen mypy-all
.PHONY: check-version preflight tag-release check ruff ruff-unsafe mypy frontend-lint
.PHONY: installer-zip smoke-test

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-20s %s\n", $$1, $$2}'

setup: ## Create the development environment (.venv, node modules)
	$(XTASK) setup

test: ## Run every test suite
	$(XTASK) test

frontend-install: ## Install the front end's node modules from the lockfile
	$(XTASK) frontend install

frontend-build: ## Build the web UI into the Python package
	$(XTASK) frontend build

frontend-dev: ## Run the front end's dev server
	$(XTASK) frontend dev

openapi: ## Print the app's OpenAPI document to stdout
	@$(XTASK) openapi

frontend-typegen: ## Regenerate the UI's API types from the app's OpenAPI document
	$(XTASK) frontend typegen --mode write

check-version: ## Compare the release tag (from GITHUB_REF) with the app's version
	$(XTASK) check-version

preflight: ## Everything to know before tagging a release (changes nothing)
	$(XTASK) preflight

tag-release: ## Create the release tag v<version> (asks first; see `cargo xtask tag-release --help`)
	$(XTASK) tag-release

check: ## Run every code-quality check (ruff, mypy, pytest, prettier, eslint, madge, tsc, vitest)
	$(XTASK) check

ruff: ## Fix what ruff can (lint fixes, then formatting)
	$(XTASK) check --fix --only ruff-lint,ruff-format

ruff-unsafe: ## Same, with ruff's unsafe fixes too
	$(XTASK) check --fix --unsafe-fixes --only ruff-lint,ruff-format

mypy: ## Type-check the Python package (strict)
	$(XTASK) check --only mypy

frontend-lint: ## Lint the front end: prettier, eslint, circular imports, tsc
	$(XTASK) check --frontend --skip vitest

mypy-all: ## Type-check every Python file, strict, ignoring per-module relaxations
	$(XTASK) check --only mypy --mypy-all

.PHONY: verify-reproducible
verify-reproducible: ## Build everything twice in two differently set-up clones of HEAD and compare
	$(XTASK) verify-reproducible

installer-zip: ## Build every release artifact into dist/ (sdist, wheel, installer zip, SHA256SUMS, manifest.json)
	$(XTASK) build-installer

smoke-test: ## Install dist/'s installer into a temporary root, start the app, check its version and page
	$(XTASK) smoke-test

.PHONY: wheel
wheel: ## Build the sdist and wheel of python/ into dist/ (native, reproducible)
	$(XTASK) dist
