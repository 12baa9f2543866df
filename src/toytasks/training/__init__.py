"""Training one trial and deciding what to train next: the trial record, the trainer, its
objective and diagnostics, the depth search and the solve rules.
"""
