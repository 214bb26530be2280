"""`vesta-sql export`: the package's queries for apps that cannot import Python."""
