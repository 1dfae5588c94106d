"""The `rutin` command groups, one module each. Importing the package registers them all on `cli.app`.

`cli` imports this package on its last line, since every module here imports cli's helpers and `app`.
"""

from commands import adapters as adapters
from commands import audit, cases, demo, procedures, rules, users, worker
from commands import scenarios as scenarios
from commands import web as web

__all__ = ["audit", "cases", "demo", "procedures", "rules", "users", "worker"]
