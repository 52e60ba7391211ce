"""Operations commands: run against a deployed stage (or the local edge): cutover, preflight,
parity, datacheck, cost, and the smaller helpers beside them."""
