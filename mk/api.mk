# The migrated Taskly API (lambda_src/taskly): local API, dev tokens, tests, benchmark and the
# OpenAPI document. See docs/api.md.

API_PYTHONPATH := $(CURDIR):$(CURDIR)/lambda_src
API_STATE_DIR := .local
LOCAL_PORT ?= 3000
# The same API without the x-origin-verify header, like the public execute-api URL (403s).
LOCAL_DIRECT_PORT ?= 3001
# Examples per operation in the schemathesis pass of `make test` (raise it for a deeper run).
SCHEMATHESIS_EXAMPLES ?= 10

TEST_TARGETS += test-api

.PHONY: local
local: $(DEV_STAMP) ## The whole path: edge :8080 (cutover.js), new API :3000 (as from CloudFront) and :3001 (direct), legacy :3002
	@PYTHONPATH=$(API_PYTHONPATH) $(PY) -m tools.local.edge --state-dir $(API_STATE_DIR) \
		--edge-port $(LOCAL_EDGE_PORT) --api-port $(LOCAL_PORT) \
		--direct-port $(LOCAL_DIRECT_PORT) --legacy-port $(LOCAL_LEGACY_PORT)

.PHONY: token
token: $(DEV_STAMP) ## Print a dev access token for the local API (USER=alice picks the subject)
	@PYTHONPATH=$(API_PYTHONPATH) $(PY) -m tools.local.api token --user "$(or $(USER),dev-user)" --state-dir $(API_STATE_DIR)

.PHONY: openapi
openapi: $(DEV_STAMP) ## Regenerate docs/openapi.json from the routers
	PYTHONPATH=$(API_PYTHONPATH) $(PY) -m taskly.api.openapi > docs/openapi.json.tmp
	mv docs/openapi.json.tmp docs/openapi.json

.PHONY: bench
bench: $(DEV_STAMP) ## Cold import per handler ÷ (import boto3 + one client), + first-use loads; warm p50/p99 of 3 routes
	@PYTHONPATH=$(API_PYTHONPATH) $(PY) -m tools.bench_api

.PHONY: test-api
test-api: test-api-unit test-api-http ## All API suites (unit, fuzzing, end-to-end, schemathesis)

.PHONY: test-api-unit
test-api-unit: $(DEV_STAMP) ## API unit tests and >=1,000 fuzzed events per handler, sockets blocked
	$(call pytest_suite,tests/unit/api --disable-socket -q)

.PHONY: test-api-http
# Exported for the recipe's own lines: pytest_suite is more than one recipe line.
test-api-http: export SCHEMATHESIS_EXAMPLES := $(SCHEMATHESIS_EXAMPLES)
test-api-http: $(DEV_STAMP) ## The local API over real HTTP: end-to-end flow and schemathesis
	$(call pytest_suite,tests/integration/api -q -rA)
