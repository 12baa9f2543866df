"""Benchmarks: measured figures, printed as ratios where machines are noisy (`make bench`)."""
