"""Benchmarks and evaluation scripts (not part of the installed package)."""
