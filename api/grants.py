"""What the app's PostgreSQL role may do: granted after every migration, by the owner role that
ran it (api/cli.py, `upgrade`).

The tables belong to the role migrations run as (MIGRATION_DATABASE_URL). The app's role
(DATABASE_APP_ROLE, the user of DATABASE_URL) owns nothing, so it cannot alter, disable or drop
the triggers that keep the audit trail and the access log append-only; and it is granted no
UPDATE, DELETE or TRUNCATE on those tables, so even with the triggers gone it could not change
them. Every other table it may read and write; every sequence it may use. Run after each
upgrade, so tables a later migration adds are granted too.
"""

from sqlalchemy import text

APPEND_ONLY_TABLES = ("audit_events", "access_events", "access_event_records")
READ_ONLY_TABLES = ("alembic_version",)


def grant_app_role(connection, role):
    """Grant `role` what the app needs on the current schema, and take back anything else."""
    quoted = connection.dialect.identifier_preparer.quote(role)
    schema = connection.dialect.identifier_preparer.quote(
        connection.scalar(text("SELECT current_schema()")))
    for statement in (
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {quoted}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {quoted}",
        f"GRANT USAGE ON SCHEMA {schema} TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {quoted}",
        f"REVOKE UPDATE, DELETE ON {', '.join(APPEND_ONLY_TABLES)} FROM {quoted}",
        f"REVOKE INSERT, UPDATE, DELETE ON {', '.join(READ_ONLY_TABLES)} FROM {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {quoted}",
    ):
        connection.exec_driver_sql(statement)
