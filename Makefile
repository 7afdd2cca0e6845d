# Two commands set everything up on a machine with Python 3.11+, git and make:
#   make demo   create .venv, install Cairn, run the demo on the embedded store
#   make test   create/update .venv with the test extras, run the whole suite
# and one more runs the same suite on PostgreSQL with S3 artifacts (needs Debian's postgresql
# package: apt-get install -y postgresql; the suite starts and stops its own throwaway cluster, and
# SeaweedFS from the test extra as its S3 server):
#   make test-postgres
# A test that never touches the store under test runs in one of the two only; its skip in the other
# says where (the store_independent mark in tests/conftest.py). CI (.ci/run) runs both.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_DEMO := $(VENV)/.stamp-demo
STAMP_TEST := $(VENV)/.stamp-test
STAMP_BENCH := $(VENV)/.stamp-bench

.PHONY: demo test test-postgres scale-demo bench bench-small bench-scaleout bench-serving bench-ui ui-vendor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_DEMO): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[demo]"
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,demo]"
	touch $@ $(STAMP_DEMO)

$(STAMP_BENCH): $(STAMP_TEST)
	$(BIN)/python -m pip install --quiet -e ".[test,demo,bench]"
	$(BIN)/python -m pip install --quiet --no-deps fasttrackml==0.6.0
	touch $@

demo: $(STAMP_DEMO)
	$(COMPILE)
	$(BIN)/python -m cairn.demo

# Test processes (pytest-xdist); each test module stays in one process (--dist loadscope), so a
# module's shared server or seeded store is made once. TEST_WORKERS=0 runs in this process alone.
TEST_WORKERS ?= 3
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadscope
# Cairn's bytecode, written once (quick when up to date): with PYTHONDONTWRITEBYTECODE set, as on
# many CI machines, every `cairn` process the suite starts would otherwise compile each module it
# imports again (about 1 s of CPU per process on this 2-core machine).
COMPILE := $(BIN)/python -m compileall -q cairn

test: $(STAMP_TEST)
	$(COMPILE)
	$(PYTEST)

test-postgres: $(STAMP_TEST)
	$(COMPILE)
	CAIRN_TEST_STORE=postgresql CAIRN_TEST_ARTIFACTS=s3 $(PYTEST)

# PostgreSQL + SeaweedFS (S3) + cairn server --workers 2 on this machine, the demo run against it;
# Ctrl-C stops everything (needs Debian's postgresql package, like test-postgres)
scale-demo: $(STAMP_TEST)
	$(COMPILE)
	$(BIN)/python scripts/scale_demo.py

# MLflow server vs FastTrackML vs cairn server, same workload, plus the scaling table;
# e.g. make bench BENCH_ARGS="--workers 2"
bench: $(STAMP_BENCH)
	$(COMPILE)
	$(BIN)/python benchmarks/bench_servers.py --scale full $(BENCH_ARGS)

bench-small: $(STAMP_BENCH)
	$(COMPILE)
	$(BIN)/python benchmarks/bench_servers.py --scale small $(BENCH_ARGS)

# Cairn on PostgreSQL + S3 with 1, 2 and 4 workers beside Cairn on SQLite and MLflow on the same
# PostgreSQL + S3 (needs Debian's postgresql package); quick check: BENCH_ARGS="--scale small"
bench-scaleout: $(STAMP_TEST)
	$(COMPILE)
	$(BIN)/python benchmarks/bench_scaleout.py --scale full $(BENCH_ARGS)

# single-row prediction latency/throughput: in process, cairn serve, mlflow models serve;
# quick check: make bench-serving BENCH_ARGS="--scale small"
bench-serving: $(STAMP_TEST)
	$(COMPILE)
	$(BIN)/python benchmarks/bench_serving.py --scale full $(BENCH_ARGS)

# the web UI next to MLflow's own, same 10,000 runs and 1,000,000-point series, in Debian's Chromium;
# quick check: make bench-ui BENCH_ARGS="--scale small"
bench-ui: $(STAMP_TEST)
	$(COMPILE)
	$(BIN)/python benchmarks/bench_ui.py --scale full $(BENCH_ARGS)

# Re-copy the web UI's pinned front-end libraries (needs npm; the result is committed).
ui-vendor:
	$(PYTHON) scripts/ui_vendor.py

clean:
	rm -rf $(VENV) .cairn
