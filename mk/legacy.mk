# The reference legacy backend (legacy/, Express + MongoDB, never deployed) and the whole local
# path: `make local` runs legacy, the new API and the edge (lambda_src/edge/cutover.js) on one
# MongoDB-wire server. See README "Local API" and docs/edge.md.

LEGACY_STAMP := legacy/node_modules/.deps
LOCAL_EDGE_PORT ?= 8080
LOCAL_LEGACY_PORT ?= 3002
LOCAL_VIEWERS ?= 200

$(LEGACY_STAMP): legacy/package.json legacy/package-lock.json
	cd legacy && npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(LEGACY_STAMP)

# WIRE_STAMP comes from mk/wire.mk, read after this file: expand it when make needs it.
.SECONDEXPANSION:
local test-legacy test-local-edge: $$(WIRE_STAMP)
local: $(LEGACY_STAMP)

TEST_TARGETS += test-legacy test-local-edge

.PHONY: test-legacy
test-legacy: $(LEGACY_STAMP) ## The legacy backend's own tests (node --test) against a real wire server
	cd legacy && TASKLY_PYTHON=$(CURDIR)/$(PY) node --test --test-reporter=dot

.PHONY: test-local-edge
test-local-edge: $(DEV_STAMP) $(LEGACY_STAMP) ## The whole local path: weights 0/50/100, cookie, shared data, override
	$(call pytest_suite,tests/local_edge -q)

.PHONY: local-share
local-share: $(DEV_STAMP) ## Share of LOCAL_VIEWERS (200) signed-in viewers the running local edge sends to the new API
	@PYTHONPATH=$(API_PYTHONPATH) $(PY) -m tools.local.edge.measure \
		--edge http://127.0.0.1:$(LOCAL_EDGE_PORT) --viewers $(LOCAL_VIEWERS) --state-dir $(API_STATE_DIR)
