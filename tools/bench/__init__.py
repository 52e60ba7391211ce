"""Benchmarks that print numbers (run through make; never asserted in tests)."""
