# Parity: the same requests to legacy (twice) and the new API, differences per route (docs/parity.md).

TEST_TARGETS += test-parity

.PHONY: parity
parity: $(DEV_STAMP) ## Compare legacy and the new API per route, e.g. make parity ARGS="--legacy URL --new URL --requests FILE"
	@$(PY) -m tools.ops.parity $(ARGS)

.PHONY: test-parity
test-parity: $(DEV_STAMP) ## Parity tool against two real local HTTP servers (equal, injected difference, noise, bad input, writes)
	$(call pytest_suite,tests/parity -q --disable-socket --allow-hosts=127.0.0.1)
