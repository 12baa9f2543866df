"""The result store and everything that reads it: typed records, per-cell summaries, tables,
baselines and figures.
"""
