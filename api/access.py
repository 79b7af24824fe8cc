"""The access log: who read which case records, whether or not they were allowed to.

A read route declares `@logs_access(entity_type)`; after it has answered (with data, or with
401/403/404), `record_access` appends one event in a short transaction of its own, so a refused
read is kept although the request's own (read-only) transaction is not. A read whose event cannot
be stored is not served: the caller gets 503 instead of the data.

The actor is what the token claims, with `token` saying how far that is proven: `valid`,
`expired` (signed by us, out of date), `revoked` (signed by us, for an account since disabled),
`invalid` (claims unverified, maybe forged) or `missing`.
"""

import logging
import uuid
from contextlib import nullcontext

import jwt
from flask import current_app, request
from flask_jwt_extended import decode_token
from flask_jwt_extended.exceptions import JWTExtendedException
from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from . import db
from .auth import VERIFIED_CLAIMS, has_required_claims, is_disabled
from .errors import problem_response
from .models import AccessEvent, AccessEventRecord, ContactChild, MeetingChild, Transition
from .pages import keyset_page
from .timescales import now

log = logging.getLogger(__name__)

READ_METHODS = ("GET", "HEAD")


def logs_access(entity_type):
    """Declare a read of case data: every call is recorded, whoever made it and however it ended.

    The record read is the route's one URL argument (a list has none: it records the ids of the
    items it showed). `entity_type` names what that id is: one of ENTITY_TYPES.
    """
    if entity_type not in ENTITY_TYPES:
        raise ValueError(f"logs_access() needs one of {', '.join(ENTITY_TYPES)}, got {entity_type!r}")

    def decorator(func):
        func._logs_access = entity_type
        return func

    return decorator


def access_declaration(view):
    return getattr(view, "_logs_access", None)


# ---- who is asking ----------------------------------------------------------------------------

_ACTOR_CLAIMS = {"sub": 100, "role": 20, "agency": 32, "service": 20}


def _bearer_token():
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _decode(token):
    """(claims, how far they are proven). Claims are recorded as claimed, cut to fit."""
    try:
        return decode_token(token), "valid"
    except jwt.ExpiredSignatureError:
        try:
            return decode_token(token, allow_expired=True), "expired"
        except (jwt.PyJWTError, JWTExtendedException):
            pass
    except (jwt.PyJWTError, JWTExtendedException):
        pass
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        claims = {}
    return (claims if isinstance(claims, dict) else {}), "invalid"


def claimed_actor():
    """The caller as their token describes them, whether the token proves it, and its claims."""
    token = _bearer_token()
    verified = request.environ.get(VERIFIED_CLAIMS)
    if verified is not None:  # the route's @requires verified this very token
        claims, state = verified, "valid"
    elif token is None:
        claims, state = {}, "missing"
    elif not token:
        claims, state = {}, "invalid"
    else:
        claims, state = _decode(token)
    # Judged as the request itself was (api/auth.py): signed by us is not enough.
    if state == "valid" and not has_required_claims(None, claims):
        state = "invalid"
    actor = {}
    for name, length in _ACTOR_CLAIMS.items():
        value = claims.get(name)
        actor[f"actor_{name}"] = None if value is None else str(value)[:length]
    return actor, state, claims


# ---- what was read ----------------------------------------------------------------------------


def _uuids(ids):
    parsed = []
    for value in ids:
        try:
            parsed.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            continue
    return parsed


# For each kind of case record: the query for the children some of them are about.
CHILDREN_OF = {
    "child": None,  # a child's record is about the child
    "contact": lambda ids: select(ContactChild.child_id).where(ContactChild.contact_id.in_(ids)),
    "strategy_meeting": lambda ids: select(MeetingChild.child_id).where(MeetingChild.meeting_id.in_(ids)),
    "transition": lambda ids: select(Transition.child_id).where(Transition.id.in_(ids)),
}


# Where a read route leaves the children of the record it has just loaded (the WSGI environ, as
# VERIFIED_CLAIMS), so that its access event need not query them again.
CHILDREN_READ = "mash.children_read"


def children_read(entity_type, entity_id, child_ids):
    """Hand the access log the children of the record this route read, as it found them."""
    children = sorted({str(child_id) for child_id in child_ids})
    request.environ[CHILDREN_READ] = (entity_type, str(entity_id), children)


def _children_handed_over(entity_type, entity_id):
    """The children the route found for this very record, or None (a refused read, for one)."""
    handed = request.environ.get(CHILDREN_READ)
    if handed is None or handed[:2] != (entity_type, entity_id):
        return None
    return handed[2]


def _session_for_the_event():
    """(session, whether it is one of its own) to write the access event in.

    PostgreSQL: the read's own transaction, when it is still sound and changed nothing, takes the
    event and commits it: one transaction instead of two (two round trips and a pooled connection
    fewer per read). SQLite cannot take a write in a read transaction (it would have to upgrade to
    the write lock, and fails if another writer committed meanwhile), so there the read's
    transaction is ended and the event written in a write transaction of its own, as it is on
    PostgreSQL after a read that failed in the database."""
    request_session = db.session()
    transaction = request_session.get_transaction()
    if (transaction is not None and transaction.is_active
            and not current_app.extensions["db"].writers_lock_at_begin
            and not (request_session.new or request_session.dirty or request_session.deleted)):
        return request_session, False
    db.session.remove()
    return current_app.extensions["db"].sessionmaker(), True


def children_of(log_session, entity_type, ids):
    """The children the records `ids` (of one type) are about, in one query."""
    ids = _uuids(ids)
    if entity_type not in CHILDREN_OF or not ids:
        return []
    query = CHILDREN_OF[entity_type]
    found = ids if query is None else log_session.scalars(query(ids))
    return sorted({str(child_id) for child_id in found})


ENTITY_TYPES = (*CHILDREN_OF, "access_log", "audit_log", "export")


def _entity_id():
    values = list((request.view_args or {}).values())
    return str(values[0]) if len(values) == 1 else None


def _items_shown(response):
    """The ids of the records a list answered with (a list's body is `{"items": [{"id"}...]}`)."""
    if response.status_code != 200 or response.is_streamed:
        return None
    body = response.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return None
    return [str(item["id"]) for item in body["items"] if isinstance(item, dict) and "id" in item]


_INSERT_EVENT = insert(AccessEvent.__table__).returning(AccessEvent.__table__.c.id)
_INSERT_RECORDS = insert(AccessEventRecord.__table__)


def record_access(response):
    """after_request: append the access event for a declared read; 503 if it cannot be kept."""
    view = current_app.view_functions.get(request.endpoint)
    entity_type = access_declaration(view)
    if entity_type is None or request.method not in READ_METHODS:
        return response
    actor, token_state, claims = claimed_actor()
    entity_id = _entity_id()
    # The items of a list of case records were read too (not those of the access log itself).
    record_ids = None if entity_id or entity_type not in CHILDREN_OF else _items_shown(response)
    event = dict(
        at=now(),
        **actor,
        token=token_state,
        method=request.method,
        endpoint=request.endpoint,
        path=request.path,
        query=request.query_string.decode("utf-8", "replace") or None,
        status=response.status_code,
        entity_type=entity_type,
        entity_id=entity_id,
        record_ids=record_ids,
    )
    read = [entity_id] if entity_id else (record_ids or [])
    child_ids = _children_handed_over(entity_type, entity_id)
    # A streamed body is read after this, so it must read through a session of its own
    # (db.reading_session()), never the request's.
    log_session, own = _session_for_the_event()
    try:
        with log_session if own else nullcontext():
            # A token the route accepted was checked against disabled accounts already (the
            # blocklist loader, api/auth.py); one it refused may name a disabled account.
            checked = request.environ.get(VERIFIED_CLAIMS) is not None
            if token_state == "valid" and not checked and is_disabled(log_session, claims):
                event["token"] = "revoked"  # signed by us, for an account since disabled
            if child_ids is None:
                child_ids = children_of(log_session, entity_type, read)
            # Core statements: the same rows as the ORM would write, without its unit of work.
            connection = log_session.connection()
            event_id = connection.execute(
                _INSERT_EVENT, {**event, "child_ids": child_ids}).scalar_one()
            touched = sorted(set(read) | set(child_ids))
            if touched:
                connection.execute(_INSERT_RECORDS, [
                    {"event_id": event_id, "record_id": record_id, "at": event["at"]}
                    for record_id in touched
                ])
            log_session.commit()
    except SQLAlchemyError:
        log.exception("access event not recorded for %s %s", request.method, request.path)
        return problem_response(
            503,
            "The read could not be recorded in the access log, so nothing is shown; retry shortly.",
            headers={"Retry-After": "5"},
        )
    return response


# ---- reading the log --------------------------------------------------------------------------


def normalised_id(value):
    """A UUID in any accepted spelling is stored in its canonical form; match it so."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return value


def list_events(args):
    """Newest first. With entity_id: reads of that record, and of every record about it when it
    is a child's id (through access_event_records, in that index's order)."""
    if "entity_id" in args:
        by = AccessEventRecord
        stmt = select(AccessEvent).join(by, by.event_id == AccessEvent.id).where(
            by.record_id == normalised_id(args["entity_id"]))
        columns = [by.at, by.event_id]
    else:
        by = AccessEvent
        stmt = select(AccessEvent)
        columns = [by.at, by.id]
    if "actor" in args:
        stmt = stmt.where(AccessEvent.actor_sub == args["actor"])
    if "from_" in args:
        stmt = stmt.where(by.at >= args["from_"])
    if "to" in args:
        stmt = stmt.where(by.at < args["to"])
    return keyset_page(stmt, columns, limit=args["limit"], cursor=args.get("cursor"),
                       descending=True, values_of=lambda event: (event.at, event.id))
