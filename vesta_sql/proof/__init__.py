"""The tenant-scope proof: `prover.prove` (sqlglot, loaded only when needed) and the committed `record` of proven texts.

Importing this package imports nothing heavy: `connect` reads the record first and loads
sqlglot only for a query text the record does not vouch for.
"""
