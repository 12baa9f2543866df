"""Running jobs: the plan every command expands into, the runner's trial loop, executors,
devices, clusters, progress and the preflight.
"""
