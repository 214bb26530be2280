"""`python -m vesta_sql` is the `vesta-sql` command."""

import sys

from .admin.cli import main

sys.exit(main())
