"""Content negotiation for the bulk reads, and bodies streamed row by row.

A streamed body is read after the request has answered and its access event is kept (see
api/access.py), so it reads through a read-only session of its own, closed when the body ends or
the client goes away.

By then the status line has gone: a body cut short (a worker killed or timed out, a database
error, a dropped connection) cannot say so in its status. So an NDJSON body ends with one more
line, its trailer, written only once every record has been: `{"@end": {"rows": N, "sha256":
HEX}}`, N the lines before it and HEX the sha256 of exactly their bytes. A file without it, or
whose lines do not match it, was cut short (`check_ndjson`, `flask exports check`).
"""

import csv
import hashlib
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


# The trailer's one member. A record never has a member whose name starts with "@".
TRAILER = "@end"
NDJSON_TRAILER_DESCRIPTION = (
    "The body ends with one more line, the trailer, written only after every record: "
    f'`{{"{TRAILER}":{{"rows":N,"sha256":"HEX"}}}}`, N the number of lines before it and HEX '
    "the SHA-256 (lowercase hex) of exactly the bytes of those lines, newlines included. No "
    "record has a member whose name starts with `@`. A body whose last line is not the "
    "trailer, or whose lines before it do not match its count and digest, is incomplete (cut "
    "short after the status line was sent): fetch it again. A saved file `F` is complete when "
    "`tail -n 1 F` is the trailer, `head -n -1 F | wc -l` prints its rows and "
    "`head -n -1 F | sha256sum` its sha256."
)


def _dumped(record):
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def with_trailer(lines):
    """`lines` (text, one record each, ending in a newline), then the trailer that counts them
    and carries the sha256 of their UTF-8 bytes, computed as they pass: nothing is held."""
    digest = hashlib.sha256()
    rows = 0
    for line in lines:
        digest.update(line.encode())
        rows += 1
        yield line
    yield _dumped({TRAILER: {"rows": rows, "sha256": digest.hexdigest()}})


def ndjson_lines(rows, schema):
    """`rows`, dumped by `schema`, one JSON object a line, then the trailer (a response's body,
    or a job's file: the same bytes)."""
    return with_trailer(_dumped(schema.dump(row)) for row in rows)


def ndjson_response(rows_from, schema):
    """`rows_from(session)`'s rows, dumped by `schema`, one JSON object a line, then the trailer."""
    return _streamed(lambda reading: ndjson_lines(rows_from(reading), schema), NDJSON)


class IncompleteExport(Exception):
    """An NDJSON file that is not a whole export: what is wrong with it."""


def check_ndjson(lines):
    """(rows, sha256) of a whole NDJSON export read as `lines` (bytes, as a binary file yields
    them); IncompleteExport saying what is wrong otherwise. Holds one line at a time."""
    digest = hashlib.sha256()
    rows = 0
    last = None
    for line in lines:
        if last is not None:
            digest.update(last)
            rows += 1
        last = line
    if last is None:
        raise IncompleteExport("no trailer: the file is empty")
    trailer = _trailer_of(last)
    if trailer is None:
        raise IncompleteExport(f'no trailer: the last line is not {{"{TRAILER}": '
                               '{"rows": N, "sha256": HEX}} (the export was cut short)')
    if trailer["rows"] != rows:
        raise IncompleteExport(f"count differs: the trailer says {trailer['rows']} rows, "
                               f"the file holds {rows} lines before it")
    if trailer["sha256"] != digest.hexdigest():
        raise IncompleteExport(f"digest differs: the trailer says sha256 {trailer['sha256']}, "
                               f"the lines before it have sha256 {digest.hexdigest()}")
    return rows, digest.hexdigest()


def _trailer_of(line):
    """The trailer's {rows, sha256} if `line` is one, else None."""
    try:
        parsed = json.loads(line)
    except ValueError:  # a line cut mid-way, or not UTF-8
        return None
    if not isinstance(parsed, dict) or list(parsed) != [TRAILER]:
        return None
    trailer = parsed[TRAILER]
    if (not isinstance(trailer, dict) or set(trailer) != {"rows", "sha256"}
            or type(trailer["rows"]) is not int or not isinstance(trailer["sha256"], str)):
        return None
    return trailer


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


XML = "application/xml"


def xml_response(pieces_from, filename):
    """`pieces_from(session)`'s text (each piece already a batch of records), streamed as an XML
    file to download, each piece as it comes."""
    def body():
        with reading_session() as reading:
            yield from pieces_from(reading)

    return Response(stream_with_context(body()), mimetype=XML,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def csv_response(rows_from, schema, header, cells_of, filename):
    """`rows_from(session)`'s rows, dumped by `schema` and cut into `cells_of(dumped)`, as CSV.
    Without a schema the rows are cut as they come (rows already made of cells)."""
    return _streamed(lambda reading: csv_lines(rows_from(reading), schema, header, cells_of), CSV,
                     # werkzeug adds "; charset=utf-8" to a text/ type
                     headers={"Content-Disposition": f'attachment; filename="{filename}"'})
