"""The ``mailsetup`` command line: serve, validate-data, verify-data, lookup, test, export,
import-ispdb.

The commands live beside this module, a group each (:mod:`~app.cli.serve`,
:mod:`~app.cli.data`, :mod:`~app.cli.verify`, :mod:`~app.cli.lookup`, :mod:`~app.cli.live`,
:mod:`~app.cli.ispdb`), and print only
through :mod:`~app.cli.output`. They are registered here, in the order ``--help``
lists them.
"""

from __future__ import annotations

import typer

from app.cli import data, ispdb, live, lookup, serve, verify
from app.cli.serve import SERVER_OPTIONS

__all__ = ["SERVER_OPTIONS", "cli", "main"]

cli = typer.Typer(
    name="mailsetup",
    help="Mail account setup assistant: provider database, discovery and client configuration.",
    no_args_is_help=True,
    add_completion=False,
)

cli.command()(serve.serve)
cli.command("validate-data")(data.validate_data)
cli.command("verify-data")(verify.verify_data)
cli.command()(lookup.lookup)
cli.command("test")(live.live_test)
cli.command()(data.export)
cli.command("import-ispdb")(ispdb.import_ispdb)


def main() -> None:
    """Entry point of the ``mailsetup`` console script."""
    cli()
