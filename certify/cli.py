"""Flask commands: init-db, create-admin, demo-data, check."""

from __future__ import annotations

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db() -> None:
        """Create or upgrade the schema through the Alembic migrations."""
        from flask_migrate import upgrade

        upgrade()
        click.echo("The database schema is up to date.")
