# DocumentDB code over a real MongoDB wire protocol: a local SecantusDB server with TLS and
# SCRAM (tools/local/db), the wire suite (tests/wire) and the data check (tools/ops/datacheck).
# See docs/api.md, "The wire-protocol suite".

WIRE_STAMP := $(VENV)/.wire-deps

$(WIRE_STAMP): $(DEV_STAMP) requirements-wire.txt
	$(UV_INSTALL) $(PY) -r requirements-wire.txt
	touch $@

setup: $(WIRE_STAMP)

TEST_TARGETS += test-wire

.PHONY: test-wire
# Slow because it is real: it installs and starts a MongoDB-wire server with TLS and SCRAM
# (seconds to start on a busy machine) and runs the repository, the API and datacheck on it.
test-wire: $(WIRE_STAMP) ## DocumentDB code, local API and datacheck against a real wire server (TLS + SCRAM)
	$(call pytest_suite,tests/wire -q)

.PHONY: datacheck
datacheck: $(DEV_STAMP) ## Compare two MongoDB/DocumentDB databases, e.g. ARGS="--source URI --target URI --target-ca certs/global-bundle.pem"
	@$(PY) -m tools.ops.datacheck $(ARGS)

.PHONY: bench-wire
bench-wire: $(WIRE_STAMP) ## Median start and stop time of the local wire server (tools/local/db)
	@$(PY) -m tools.local.db bench --runs 3
