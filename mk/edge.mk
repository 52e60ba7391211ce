# Edge: CloudFront for the SPA and /api/*, the weighted cut-over and its tool (docs/edge.md).
TEST_TARGETS += test-edge

.PHONY: test-edge
test-edge: $(DEV_STAMP) $(CHECKOV_STAMP) ## Edge: templates, cdk-nag/cfn-lint, CloudFront Functions (node), cutover CLI
	$(call pytest_suite,tests/edge -q)

.PHONY: cutover
cutover: $(DEV_STAMP) ## Shift /api/* to the new API, e.g. make cutover ARGS="status --stage dev"
	@$(PY) -m tools.ops.cutover $(ARGS)

.PHONY: cutover-split
cutover-split: ## Measured share of 10,000 viewers sent to the new origin for weights 1-99
	node tests/edge/js/split.mjs 10000
