# Operations: the cost report (tools/cost, docs/cost.md) and the monitoring construct tests.

# DEV_STAMP is assigned after the Makefile includes mk/*.mk, and prerequisites are expanded
# while this file is read, so name the stamp file itself.
OPS_DEPS := $(VENV)/.dev-deps

.PHONY: cost
cost: $(OPS_DEPS) ## Cost report of the stages in cdk.out (after `make synth`); ARGS="--format markdown --against DIR ..."
	$(PY) -m tools.cost $(ARGS)

.PHONY: test-ops
test-ops: $(OPS_DEPS) ## Cost report and monitoring construct tests (tests/ops)
	$(PY) -m pytest tests/ops -q

TEST_TARGETS += test-ops
