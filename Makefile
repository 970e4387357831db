# The two commands of the README:  `make install`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

## Install ctx and its development tools into .venv/, then check the setup.
install: $(VENV)/.installed
	$(VENV)/bin/ctx --version
	-$(VENV)/bin/ctx doctor

## Run the whole test suite (installs the external test tools first: Claude Code CLI, tmux).
test: $(VENV)/.installed
	bash scripts/install-test-tools.sh
	$(PY) -m pytest -n 2 --dist loadgroup

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
