"""What `vulture` reports as unused in vesta_sql/ but is kept, each with its reason (read by vulture, never run).

Configured in pyproject.toml ([tool.vulture]); scripts/test runs `vulture` with no argument.
"""

# ruff: noqa
_ = object()

_.tb  # __exit__'s third parameter: the context-manager protocol passes it
_._timezone  # read by psycopg's TimestamptzLoader, which the UTC loaders of dialects/postgres.py subclass
_._running  # aiosqlite's Connection reads it: its worker thread stops when it is False
_.add_hook  # public API (README, docs/observability): apps register hooks
_.duration_s  # a QueryEvent field: what hooks receive
pytest_generate_tests  # a pytest hook of the vesta_sql.testing plugin
_.capped  # the studio's grid and console: read by their Jinja templates (vesta_sql/admin/studio/templates/)
_.next_cursor  # the studio's grid: the template's "next" link
_.prev_cursor  # the studio's grid: the template's "previous" link
