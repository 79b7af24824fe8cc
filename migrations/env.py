"""Alembic environment: the app's engine and models. Run through `flask --app wsgi db upgrade`."""

from alembic import context

from api.db import Base
import api.models  # noqa: F401  (registers every table on Base.metadata)

config = context.config
target_metadata = Base.metadata


def run_migrations_online():
    engine = config.attributes.get("engine")
    if engine is None:
        from api import create_app

        engine = create_app().extensions["db"].engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run them online.")
run_migrations_online()
