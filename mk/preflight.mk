# Preflight: what a stage's first deploy needs from the account (tools/ops/preflight, README
# "Before your first deploy"). `make deploy` and `make deploy-ci` run it first.

TEST_TARGETS += test-preflight

# Extra arguments, e.g. --via-lookup-role (CI), --format json, -c taskly:<section>.<field>=...
PREFLIGHT_ARGS ?=
# The command (tests of the deploy recipes put a stand-in here, as they do for CDK).
PREFLIGHT := $(PY) -m tools.ops.preflight

.PHONY: preflight
preflight: $(DEV_STAMP) ## Check the account for what STAGE's deploy needs: credentials, bootstrap, quotas, SES, placeholders...
	@$(PREFLIGHT) --stage $(STAGE) $(PREFLIGHT_ARGS)

.PHONY: test-preflight
test-preflight: $(DEV_STAMP) ## Preflight checks against a moto account over HTTP and a local TLS origin
	$(call pytest_suite,tests/preflight -q --disable-socket)

.PHONY: deploy-dms-roles
deploy-dms-roles: $(APP_STAMP) $(NODE_STAMP) ## Deploy Taskly-DmsAccountRoles (dms-vpc-role, dms-cloudwatch-logs-role; once per account, before STAGE's Migration stack)
	$(CDK) deploy Taskly-DmsAccountRoles -c stage=$(STAGE) -c dms_account_roles=true --require-approval broadening
