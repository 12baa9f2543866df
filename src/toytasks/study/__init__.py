"""Studies: one spec, one command, the experiments that test explanations (a), (b), ... and the
report they render.
"""
