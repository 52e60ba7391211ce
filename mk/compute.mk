# Compute: Lambda bundles, the migration table, the compute stack's tests.

# The Lambda Python runtime ships these (boto3 and what it depends on): never bundled.
RUNTIME_PROVIDED := boto3 botocore s3transfer jmespath python-dateutil six urllib3
LAMBDA_LOCK_ALL := $(VENV)/bin/uv pip compile --quiet --generate-hashes \
	--python-platform aarch64-manylinux2014 --python-version 3.13 \
	--custom-compile-command "make lock"
LAMBDA_LOCK := $(LAMBDA_LOCK_ALL) $(foreach package,$(RUNTIME_PROVIDED),--no-emit-package $(package))

TEST_TARGETS += test-compute

.PHONY: lock
lock: $(DEV_STAMP) ## Re-pin the Lambda bundles' dependencies (lambda_src/*.lock, arm64, Python 3.13)
	$(LAMBDA_LOCK) lambda_src/requirements.txt -o lambda_src/requirements.lock
	$(LAMBDA_LOCK) lambda_src/requirements-docdb.txt -o lambda_src/requirements-docdb.lock
	@# The rollback function bundles its own boto3: the runtime's lacks awscrt (SigV4A).
	$(LAMBDA_LOCK_ALL) lambda_src/requirements-rollback.txt -o lambda_src/requirements-rollback.lock

.PHONY: routes
routes: $(APP_STAMP) $(if $(PARITY),$(DEV_STAMP)) ## Print the migration table: method, path, service or "legacy" (PARITY=report.json adds each route's coverage and parity result)
	@$(PY) -m tools.routes $(if $(PARITY),--parity $(PARITY))

.PHONY: bundle
bundle: $(APP_STAMP) ## Build every Lambda bundle into build/bundles and print zipped sizes and times
	@$(PY) -m tools.bundle build/bundles

.PHONY: test-compute
# Slow on a fresh clone: it builds the real tasks bundle (pip for aarch64 from the package
# index, once per lock) and synthesizes it twice through CDK, the second time offline.
test-compute: $(DEV_STAMP) ## Compute stack: templates, least privilege, route table, one real bundle
	$(PY) -m pytest tests/compute
