"""Benchmarks: each compares the project's path with a baseline in the same run and writes
runs/bench/<name>.json."""
