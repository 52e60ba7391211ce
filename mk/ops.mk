# Operations: the cost report (tools/ops/cost, docs/cost.md) and the monitoring construct tests.

.PHONY: cost
cost: $(DEV_STAMP) ## Cost report of the stages in cdk.out (after `make synth`); ARGS="--format markdown --against DIR ..."
	@$(PY) -m tools.ops.cost $(ARGS)

.PHONY: test-ops
test-ops: $(DEV_STAMP) ## Cost report and monitoring construct tests (tests/ops)
	$(call pytest_suite,tests/ops -q --disable-socket --allow-unix-socket)

TEST_TARGETS += test-ops
