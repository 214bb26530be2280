"""`vesta-sql studio`: a local, offline, tenant-aware data browser (needs the `studio` extra).

Modules: `app` (start the server), `routes` (pages), `security` (token, Host, Origin/CSRF),
`schema` (names from the live database), `sqlgen` (every statement, each put through the
scope proof), `database` (connections: owner, and as one account), `views` (what a page
shows), `console` (proven read-only SQL), `values` (form values checked), `audit` (JSON lines).
"""
