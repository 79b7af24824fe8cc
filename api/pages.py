"""Keyset pagination behind every list: `{"items": [...], "next_cursor": ...}`.

The cursor is opaque to clients: base64url JSON of the last row's sort key.
"""

import base64
import binascii
import json
import uuid
from datetime import datetime

from sqlalchemy import Integer, Uuid, bindparam, tuple_

from .db import UTCDateTime, session
from .errors import RuleViolation


def filtered(stmt, args, *, equal=None, since=None, before=None):
    """`stmt` narrowed by the filters a list was given (API.md: filters are query parameters).
    Each maps an argument's name to a column; an argument absent from `args` filters nothing.
    `equal`: the column equals it; `since`: the column is at or after it; `before`: the column
    is before it (a period is half-open, so consecutive periods neither overlap nor leave gaps)."""
    for names, compare in ((equal, lambda column, value: column == value),
                           (since, lambda column, value: column >= value),
                           (before, lambda column, value: column < value)):
        for name, column in (names or {}).items():
            if name in args:
                stmt = stmt.where(compare(column, args[name]))
    return stmt


def _encode_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _decode_value(value, column):
    column_type = column.type
    if isinstance(column_type, UTCDateTime):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed
    if isinstance(column_type, Uuid):
        return uuid.UUID(value)
    if isinstance(column_type, Integer):
        # A cursor we gave out holds a row's value; one past a 64-bit integer would reach the
        # database and fail there (a 500), so it is refused as not ours.
        if not isinstance(value, int) or isinstance(value, bool) or not -2**63 <= value < 2**63:
            raise ValueError("not an integer a row holds")
        return value
    return str(value)


def encode_cursor(values):
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor, columns):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(columns):
            raise ValueError("wrong shape")
        return [_decode_value(v, c) for v, c in zip(values, columns, strict=True)]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise RuleViolation("cursor", "Not a cursor this list gave out.") from None


def keyset_page(stmt, columns, *, limit, cursor=None, descending=False, values_of=None, rows=False):
    """Run `stmt` (a select of one entity; of named columns with `rows`) ordered by `columns`, one
    page after `cursor`.

    `values_of(item)` gives the last item's values of `columns` when they are not its own attributes
    (ordered by a joined table's index); by default they are read off the item by name.
    """
    if cursor:
        values = decode_cursor(cursor, columns)
        key = tuple_(*columns)
        after = tuple_(*(bindparam(None, v, type_=c.type) for v, c in zip(values, columns, strict=True)))
        stmt = stmt.where(key < after if descending else key > after)
    order = [c.desc() if descending else c.asc() for c in columns]
    fetch = session.execute if rows else session.scalars
    found = fetch(stmt.order_by(*order).limit(limit + 1)).all()
    items, more = found[:limit], len(found) > limit
    next_cursor = None
    if more:
        last = items[-1]
        values = values_of(last) if values_of else [getattr(last, c.key) for c in columns]
        next_cursor = encode_cursor(list(values))
    return {"items": items, "next_cursor": next_cursor}
