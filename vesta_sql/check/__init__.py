"""Moved to `vesta_sql.admin.check`; this name stays for the imports the docs named before 0.3.0."""
