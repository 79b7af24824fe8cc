"""The bare baseline bench/load.py measures the API against: a minimal Flask app served the same
way (gunicorn, same workers), on the same engine with the same settings (api.db.Database: SQLite
WAL + synchronous=FULL + BEGIN IMMEDIATE for writes, PostgreSQL synchronous_commit=on).

POST /bare inserts one row with SQLAlchemy Core in one transaction; GET /bare/<id> reads it back.
No auth, no validation, no audit, no access log: what any endpoint on this stack costs at least.

    DATABASE_URL=... gunicorn --workers 2 bench.bare:app
"""

import os
import uuid
from datetime import UTC, datetime

from flask import Flask, abort, request
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, insert, select

from api.db import Database

metadata = MetaData()
# A table of the baseline's own, beside the app's; made here, not by the app's migrations.
bare_rows = Table(
    "bench_bare_rows",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def create_bare_app(url):
    app = Flask(__name__)
    database = Database(url)
    engine = database.engine

    @app.post("/bare")
    def insert_row():
        row_id = str(uuid.uuid4())
        with engine.begin() as connection:
            connection.execute(
                insert(bare_rows),
                {"id": row_id, "body": request.get_data(as_text=True),
                 "created_at": datetime.now(UTC)},
            )
        return {"id": row_id}, 201

    @app.get("/bare/<row_id>")
    def read_row(row_id):
        # A reader, as the API's reads are (SQLite: no write lock at BEGIN).
        reader = engine.connect().execution_options(sqlite_begin="DEFERRED")
        with reader as connection, connection.begin():
            row = connection.execute(select(bare_rows).where(bare_rows.c.id == row_id)).first()
        if row is None:
            abort(404)
        return {"id": row.id, "body": row.body, "created_at": row.created_at.isoformat()}

    @app.get("/health")
    def health():
        return {"status": "ok"}

    app.extensions["bare_engine"] = engine
    return app


def create_table(url):
    database = Database(url)
    metadata.create_all(database.engine)
    database.engine.dispose()


app = create_bare_app(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None
