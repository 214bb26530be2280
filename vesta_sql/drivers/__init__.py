"""One driver per dialect and flavour (sync/async): they move statements and rows, nothing else."""
