# The two commands of the README: `make demo` and `make test`.
# Each sets up its own virtual environment first; nothing relies on what is installed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# pip inside .venv, for the ways in that need one (setup makes none when it can)
VENV_PIP := { $(PY) -m pip --version >/dev/null 2>&1 \
  || $(PY) -m ensurepip --default-pip >/dev/null 2>&1 \
  || { echo "make: no pip to install with: $(PYTHON) has neither pip nor ensurepip" \
       "(on Debian and Ubuntu: apt install python3-pip python3-venv)" >&2; false; }; }

.PHONY: demo test lint setup bench clean tools

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "byon needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@# No pip in .venv: making one (ensurepip installs and compiles pip) takes longer than
	@# all that uv installs after it. uv comes from the interpreter's own pip where it has
	@# one (--python installs into .venv), else from a pip made in .venv after all.
	$(PYTHON) -m venv --without-pip $(VENV)
	@# uv installs the dependencies in about a third of pip's time (it downloads in parallel
	@# and compiles nothing: Python compiles what byon imports on first use). Where uv cannot
	@# be had, pip does it all: upgraded first (the bundled one is slower), and --no-compile
	@# (it would compile every module of every package, phonenumbers' 600 among them).
	@# uv does not read pip's settings: a mirror or wheel folder named for pip is passed on.
	@# With no pip anywhere, nothing below can install: the hint is said once, and setup stops.
	{ $(PYTHON) -m pip --python $(PY) install --quiet uv 2>/dev/null \
	  || { $(VENV_PIP) || exit 1; $(PY) -m pip install --quiet uv; }; } && env \
	  $${PIP_INDEX_URL:+UV_INDEX_URL="$$PIP_INDEX_URL"} \
	  $${PIP_EXTRA_INDEX_URL:+UV_EXTRA_INDEX_URL="$$PIP_EXTRA_INDEX_URL"} \
	  $${PIP_FIND_LINKS:+UV_FIND_LINKS="$$PIP_FIND_LINKS"} \
	  $(VENV)/bin/uv pip install --quiet --python $(PY) -e '.[test]' \
	  || { echo "make: installing with pip instead of uv"; \
	       $(VENV_PIP) && \
	       $(PY) -m pip install --quiet --upgrade pip && \
	       $(PY) -m pip install --quiet --no-compile -e '.[test]'; }
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/byon demo

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) tests/check_layers.py
	@# sizes (600-line files, 80-line functions) and a docstring on every public definition
	$(PY) benchmarks/structure.py --check

# Real peers for the tests, from the system's packages where we may (root with apt):
# headless Chromium for `byon serve`, and SIP software nobody here wrote (SIPp, sipsak,
# baresip, Kamailio). Anything missing makes only the tests that need it skip, with the reason.
TOOLS := chromium:chromium sipp:sip-tester sipsak:sipsak baresip:baresip kamailio:kamailio
tools:
	@missing=""; for t in $(TOOLS); do command -v $${t%%:*} >/dev/null 2>&1 || \
	  [ -x /usr/sbin/$${t%%:*} ] || missing="$$missing $${t#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      $$missing >/dev/null 2>&1) \
	      || echo "make: could not install$$missing; tests that need them will skip"; \
	  else echo "make: missing$$missing; tests that need them will skip"; fi; fi

# Four test workers per core: much of a test's time is spent waiting on a socket, a
# subprocess, a SIP peer or a retry's backoff, and the other workers use the core meanwhile
# (on 2 cores, pytest took 178 s with four workers, 142 s with six, 116 s with eight, the
# cores then busy throughout; with two other busy processes beside it, 246 s and 176 s).
# worksteal hands a finished worker the tests still queued on a busy one, so no long test
# ends the run alone. At most 16 on a big machine: each worker holds about 150 MB and
# collects the whole suite (about 2 s of CPU) before its first test.
# The suite starts hundreds of Python processes (workers, `byon` commands, emulators):
# with PYTHONDONTWRITEBYTECODE set, each would compile byon's modules (and pytest would
# re-rewrite every test module and plugin) from source, so the test run clears it.
# pytest exits 5 when it collected nothing: that is a failure here, said out loud.
TEST_WORKERS ?= $(shell n=$$(( $$(nproc 2>/dev/null || echo 2) * 4 )); echo $$(( n < 16 ? n : 16 )))
# One collection first: it compiles what the tests import and rewrites the test modules'
# asserts once, where each worker would otherwise do both at the same time. It runs as two
# halves side by side, one per core (on a fresh clone 9 s instead of 14). The house checks
# (lint) run beside them, in the time the halves spend waiting on the disk; their report
# comes after, and a failed check stops the run before any test.
COLLECT := $(PY) -m pytest --collect-only -q
test: $(STAMP) tools
	@export PYTHONDONTWRITEBYTECODE=; out=$$(mktemp -d); \
	$(MAKE) --no-print-directory lint > $$out/lint 2>&1 & lint=$$!; \
	$(COLLECT) tests/screens tests/cli > $$out/a 2>&1 & half=$$!; \
	$(COLLECT) tests --ignore=tests/screens --ignore=tests/cli > $$out/b 2>&1; rc=$$?; \
	wait $$half || rc=$$?; \
	wait $$lint; linted=$$?; cat $$out/lint; \
	if [ $$linted -ne 0 ]; then rc=$$linted; echo "make test: the house checks failed" >&2; \
	elif [ $$rc -ne 0 ]; then tail -n 40 $$out/a $$out/b; \
	else $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal -q; rc=$$?; fi; \
	rm -rf $$out; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no test; failing" >&2; fi; \
	exit $$rc

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
