"""`vesta-sql copy`: one database's rows into another, account by account, verified by checksums."""
