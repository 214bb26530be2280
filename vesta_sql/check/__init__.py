"""Static checks of the SQL: tenant scope, D1 rules, schema invariants."""
