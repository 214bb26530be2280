"""Multi-query façade operations, one module per domain (see `vesta_sql.program`)."""
