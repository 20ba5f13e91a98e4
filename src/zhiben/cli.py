"""The `zhiben` command: Django's management commands with friendlier names.

zhiben serve [addr:port]   run the web app (development server)
zhiben setup               migrate and load reference data
zhiben demo                demo accounts and data (idempotent)
zhiben audit verify        check the audit hash chain (--checkpoint <value>: and that it still holds it)
zhiben audit checkpoint    print the signed head of the chain, to keep outside the database
zhiben <any manage.py command>
"""

from __future__ import annotations

import os
import sys

ALIASES = {"serve": "runserver"}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiben.config.settings.local")
    if len(argv) > 1 and argv[1] in ALIASES:
        argv[1] = ALIASES[argv[1]]
    from django.core.management import execute_from_command_line

    if len(argv) > 1 and argv[1] == "runserver":
        _recover_imports()

    execute_from_command_line(argv)


def _recover_imports() -> None:
    """Import jobs cut off by the previous run are marked failed at start."""
    try:
        import django

        django.setup()
        from zhiben.imports.services import recover_abandoned_jobs

        recover_abandoned_jobs()
    except Exception:  # no database yet (before `zhiben setup`): nothing to recover
        pass


if __name__ == "__main__":
    main()
