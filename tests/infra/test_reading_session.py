"""api.transactions.reading_session: the read-only transaction a streamed body (and a command)
reads in, of its own, after the request has answered.

Such a body runs a statement per batch. psycopg prepares a statement on the server once it has
run five times on a connection, and PostgreSQL may then plan it once for all parameters (a
generic plan): for the Annex A lists, a scan of a year of decisions for every batch. So on
PostgreSQL the read plans each statement for its own parameters, for that transaction only.
"""

from sqlalchemy import event, select, text

from api.db import session
from api.models import Contact
from api.transactions import reading_session
from tests.helpers import ENGINE


def test_a_read_of_its_own_plans_each_statement_for_its_own_parameters(app, db):
    statements = []

    def seen(_connection, _cursor, statement, *_args):
        statements.append(statement)

    engine = app.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with reading_session() as reading:
            reading.scalars(select(Contact.id).limit(1)).all()
            if ENGINE == "postgresql":
                assert reading.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    if ENGINE == "postgresql":
        # SET LOCAL: the setting ended with the read's transaction; the request's is untouched.
        assert session.scalar(text("SHOW plan_cache_mode")) == "auto"
        assert [s for s in statements if s.startswith("SET")] == [
            "SET LOCAL plan_cache_mode = force_custom_plan"]
    else:
        assert not [s for s in statements if "plan_cache_mode" in s]  # SQLite has no such thing
