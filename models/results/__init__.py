"""What each process's flow returns: one typed result per run, the same model the CLI prints
with `--json` (`model_dump(mode="json")`) and the artifacts are written from."""
