"""What a run is asked to do: task specs (TOML + knobs) and the run options with their bounds."""
