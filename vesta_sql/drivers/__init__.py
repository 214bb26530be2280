"""One driver per dialect and flavour (sync/async): connections and pools, the account setting, statements and rows."""
