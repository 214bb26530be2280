"""The admin side: the `vesta-sql` command and what only it runs (migrations, roles, checks, stubs, exports, copy,
account export and deletion, the demo). An app's `import vesta_sql` and its calls never import this package."""
