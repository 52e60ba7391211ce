# CI/CD: the targets the GitHub workflows call (.github/workflows), and their tests.
# The workflows run only `make` targets, so what CI does can be run and read locally.

TEST_TARGETS += test-cicd

# Reports, diffs and deploy outputs for the workflows (build/ is ignored by git).
CICD_OUT := build/cicd
# A checkout of the pull request's base commit, for the cost comparison (pull-request workflow).
BASE_DIR ?=
# The `cdk bootstrap --qualifier` of the target account (cdk.json's @aws-cdk/core:bootstrapQualifier).
CDK_QUALIFIER ?= hnb659fds
# CodeDeploy applications of a stage carry its stack-name prefix (CloudFormation-generated names).
CANARY_PREFIX ?= $(STACK_PREFIX)
# The cost report (python -m tools.ops.cost), when this revision has it.
COST_TOOL := $(wildcard tools/ops/cost.py tools/ops/cost/__main__.py)
# Extra smoke expectations, e.g. --expect ApiEndpoint /tasks 401 (see tools/ops/smoke.py).
SMOKE_ARGS ?=

.PHONY: test-cicd
test-cicd: $(DEV_STAMP) $(NODE_STAMP) ## Cicd stack (trust, permissions, cdk-nag, cfn-lint), workflows (actionlint, zizmor, make targets), CI tools
	$(call pytest_suite,tests/cicd -q)

.PHONY: synth-all
synth-all: $(APP_STAMP) $(NODE_STAMP) ## Synthesize every stage in turn (what CI checks on a pull request)
	for stage in $(STAGES); do $(MAKE) synth STAGE=$$stage; done

.PHONY: synth-cicd
synth-cicd: $(APP_STAMP) $(NODE_STAMP) ## Synthesize the once-per-account Taskly-Cicd stack (GitHub OIDC roles)
	$(CDK) synth Taskly-Cicd --quiet -c cicd=true

.PHONY: deploy-cicd
deploy-cicd: $(APP_STAMP) $(NODE_STAMP) ## Deploy Taskly-Cicd (once per account, with administrator credentials; shows IAM changes first)
	$(CDK) deploy Taskly-Cicd -c cicd=true --require-approval broadening

.PHONY: pr-report
pr-report: $(DEV_STAMP) $(NODE_STAMP) ## cdk diff + cost diff of STAGE as a PR comment in build/cicd (needs the diff role)
	mkdir -p $(CICD_OUT)
	rm -rf $(CICD_OUT)/cost-$(STAGE).md $(if $(BASE_DIR),$(BASE_DIR)/cdk.out)
	$(if $(and $(BASE_DIR),$(COST_TOOL)),$(MAKE) -C $(BASE_DIR) synth STAGE=$(STAGE) VENV=$(abspath $(VENV)) || true)
	rc=0; $(CDK) diff --method=template --no-color -c stage=$(STAGE) \
		> $(CICD_OUT)/diff-$(STAGE).txt 2>&1 || rc=$$?; \
	if [ -z "$(BASE_DIR)" ]; then \
		cost_args=(--cost-note "no base checkout given (BASE_DIR), so no cost comparison"); \
	elif [ -z "$(COST_TOOL)" ]; then \
		cost_args=(--cost-note "tools.ops.cost is not part of this revision yet"); \
	elif [ -f $(BASE_DIR)/cdk.out/manifest.json ] \
		&& $(PY) -m tools.ops.cost --format markdown --against $(BASE_DIR)/cdk.out \
			> $(CICD_OUT)/cost-$(STAGE).md; then \
		cost_args=(--cost $(CICD_OUT)/cost-$(STAGE).md); \
	else \
		cost_args=(--cost-note "the base synth or the cost report failed; see the job log"); \
	fi; \
	$(PY) -m tools.ops.pr_report --stage $(STAGE) --diff $(CICD_OUT)/diff-$(STAGE).txt \
		--diff-exit-code $$rc "$${cost_args[@]}" --output $(CICD_OUT)/pr-report-$(STAGE).md; \
	cat $(CICD_OUT)/diff-$(STAGE).txt; \
	exit $$rc

.PHONY: diff-security
diff-security: $(APP_STAMP) $(NODE_STAMP) ## Fail if STAGE's diff broadens IAM or security groups (needs the diff role)
	$(CDK) diff --method=template --security-only --fail -c stage=$(STAGE)

.PHONY: deploy-ci
deploy-ci: $(DEV_STAMP) $(NODE_STAMP) ## CI deploy of STAGE: preflight through the lookup role, then no prompts, CloudFormation events and canary progress
	@$(PREFLIGHT) --stage $(STAGE) --via-lookup-role $(PREFLIGHT_ARGS)
	mkdir -p $(CICD_OUT)
	@$(PY) -m tools.ops.canary_watch --qualifier $(CDK_QUALIFIER) --prefix $(CANARY_PREFIX) & watcher=$$!; \
	rc=0; $(CDK) deploy --all --require-approval never --progress events -c stage=$(STAGE) \
		--outputs-file $(CICD_OUT)/outputs-$(STAGE).json || rc=$$?; \
	kill $$watcher 2>/dev/null || true; wait $$watcher 2>/dev/null || true; \
	exit $$rc

.PHONY: smoke
smoke: $(APP_STAMP) ## Smoke-test STAGE's deployed endpoints (reads build/cicd/outputs-STAGE.json from deploy-ci)
	@$(PY) -m tools.ops.smoke --outputs $(CICD_OUT)/outputs-$(STAGE).json $(SMOKE_ARGS)

# For scripts and tests: the prefix of STAGE's stack names, from the config package.
.PHONY: print-stack-prefix
print-stack-prefix:
	@echo $(STACK_PREFIX)
