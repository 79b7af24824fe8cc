"""Alembic environment: the app's engine and models. Run through `flask --app wsgi db upgrade`."""

from alembic import context

from api.db import Base
from api.engines import lift_timeouts
import api.models  # noqa: F401  (registers every table on Base.metadata)

config = context.config
target_metadata = Base.metadata


def run_migrations_online():
    engine = config.attributes.get("engine")
    if engine is None:
        from api import create_app

        engine = create_app().extensions["db"].engine
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by rebuilding it; foreign keys are switched off around the
            # rebuild (they cannot be switched inside a transaction) and checked before commit.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                # A migration may rewrite a large table: the web requests' timeout is not for it.
                lift_timeouts(connection)
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run them online.")
run_migrations_online()
