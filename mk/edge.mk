# Edge: CloudFront for the SPA and /api/*, the weighted cut-over and its tool (docs/edge.md).
TEST_TARGETS += test-edge

# The stamps are defined after the mk/ files are included: expand them when the rule runs.
.SECONDEXPANSION:

.PHONY: test-edge
test-edge: $$(DEV_STAMP) ## Edge: templates, cdk-nag/cfn-lint/checkov, CloudFront Functions (node), cutover CLI
	$(PY) -m pytest tests/edge -q

.PHONY: cutover
cutover: $$(DEV_STAMP) ## Shift /api/* to the new API, e.g. make cutover ARGS="status --stage dev"
	$(PY) -m tools.cutover $(ARGS)

.PHONY: cutover-split
cutover-split: ## Measured share of 10,000 viewers sent to the new origin for weights 1-99
	node tests/edge/js/split.mjs 10000
