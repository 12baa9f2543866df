"""Cost before running: calibrate the trainer, replay the search against outcome scenarios,
render the dry run.
"""
