"""Benchmark scripts (not part of the installed package). Run from the project root:
``python3 -m benchmarks.<name> --help``."""
