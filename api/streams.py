"""Content negotiation for the bulk reads, and bodies streamed row by row.

A streamed body is read after the request has answered and its access event is kept (see
api/access.py), so it reads through a read-only session of its own, closed when the body ends or
the client goes away.
"""

import csv
import io
import json
from itertools import chain

from flask import Response, request, stream_with_context
from werkzeug.exceptions import NotAcceptable

from .transactions import reading_session

JSON = "application/json"
NDJSON = "application/x-ndjson"
CSV = "text/csv"
LINES_PER_CHUNK = 500  # rows written to the client at a time


def preferred_format(*offered):
    """The offered media type the Accept header prefers (the first when it names none); 406 when
    it accepts none of them."""
    if not request.accept_mimetypes:
        return offered[0]
    best = request.accept_mimetypes.best_match(offered)
    if best is None:
        raise NotAcceptable(f"This resource is available as {', '.join(offered)}.")
    return best


def _chunked(lines):
    chunk = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= LINES_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def _streamed(lines_from, mimetype, headers=None):
    def body():
        with reading_session() as reading:
            yield from _chunked(lines_from(reading))

    return Response(stream_with_context(body()), mimetype=mimetype, headers=headers)


def ndjson_lines(rows, schema):
    """`rows`, dumped by `schema`, one JSON object a line (a response's body, or a job's file)."""
    for row in rows:
        yield json.dumps(schema.dump(row), ensure_ascii=False, separators=(",", ":")) + "\n"


def ndjson_response(rows_from, schema):
    """`rows_from(session)`'s rows, dumped by `schema`, one JSON object a line."""
    return _streamed(lambda reading: ndjson_lines(rows_from(reading), schema), NDJSON)


# A spreadsheet runs a cell that starts like this as a formula (CSV injection): such text is
# written with a leading apostrophe, which spreadsheets show as text and do not run.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def csv_lines(rows, schema, header, cells_of):
    """`rows`, dumped by `schema` (if any) and cut into `cells_of(dumped)`, as CSV lines after
    the `header` line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    cut = (cells_of(schema.dump(row) if schema else row) for row in rows)
    for cells in chain([header], cut):
        writer.writerow([safe_cell(cell) for cell in cells])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def csv_response(rows_from, schema, header, cells_of, filename):
    """`rows_from(session)`'s rows, dumped by `schema` and cut into `cells_of(dumped)`, as CSV.
    Without a schema the rows are cut as they come (rows already made of cells)."""
    return _streamed(lambda reading: csv_lines(rows_from(reading), schema, header, cells_of), CSV,
                     # werkzeug adds "; charset=utf-8" to a text/ type
                     headers={"Content-Disposition": f'attachment; filename="{filename}"'})
