"""The access log: who read which case records, whether or not they were allowed to.

A read route declares `logs_access=<kind of record>` (api/declarations.py); after it has answered
(with data, or with 401/403/404/429), `record_access` appends one event
(api/transactions.appending_after_read), so a refused read is kept too. A read whose event cannot
be stored is not served: the caller gets 503 instead of the data.

The actor is what the token claims (api/caller.py), with `token` saying how far that is proven:
`valid`, `expired` (signed by us, out of date), `revoked` (signed by us, for an account since
disabled), `invalid` (claims unverified, maybe forged) or `missing`.
"""

import logging
import uuid

from flask import g, request
from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from .caller import current_caller
from .declarations import CASE_RECORDS, current_declaration
from .errors import problem_response
from .models import (
    AccessEvent, AccessEventRecord, Assessment, ContactChild, InformationRequestChild, MeetingChild,
    Transition,
)
from .pages import filtered, keyset_page
from .timescales import now
from .transactions import appending_after_read

log = logging.getLogger(__name__)

READ_METHODS = ("GET", "HEAD")


_ACTOR_CLAIMS = {"sub": 100, "role": 20, "agency": 32, "service": 20}


def claimed_actor(caller):
    """The actor columns of an access event: the caller as their token describes them, cut to fit."""
    actor = {}
    for name, length in _ACTOR_CLAIMS.items():
        value = caller.claims.get(name)
        actor[f"actor_{name}"] = None if value is None else str(value)[:length]
    return actor


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
    "information_request": lambda ids: select(InformationRequestChild.child_id).where(
        InformationRequestChild.request_id.in_(ids)),
    "assessment": lambda ids: select(Assessment.child_id).where(Assessment.id.in_(ids)),
}


def children_read(entity_type, entity_id, child_ids):
    """Hand this request's access event the children of the record the route read, as it found
    them, so that the event need not look them up again."""
    g.children_read = (entity_type, str(entity_id), sorted({str(child) for child in child_ids}))


def records_shown(ids):
    """Hand this request's access event the records (of the kind the route declares) a list
    showed, when its items are not those records themselves: GET /decisions lists decisions, and
    what it read is their contacts."""
    g.records_shown = sorted({str(record_id) for record_id in ids})


def _children_handed_over(entity_type, entity_id):
    """The children the route found for this very record, or None (a refused read, for one)."""
    handed = g.get("children_read")
    if handed is None or handed[:2] != (entity_type, entity_id):
        return None
    return handed[2]


def children_of(log_session, entity_type, ids):
    """The children the records `ids` (of one type) are about, in one query."""
    ids = _uuids(ids)
    if entity_type not in CHILDREN_OF or not ids:
        return []
    query = CHILDREN_OF[entity_type]
    found = ids if query is None else log_session.scalars(query(ids))
    return sorted({str(child_id) for child_id in found})


assert set(CHILDREN_OF) == set(CASE_RECORDS)


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
    declaration = current_declaration()
    entity_type = declaration and declaration.logs_access
    if entity_type is None or request.method not in READ_METHODS:
        return response
    caller = current_caller()
    entity_id = _entity_id()
    # The items of a list of case records were read too (not those of the access log itself).
    record_ids = None
    if not entity_id and entity_type in CHILDREN_OF and response.status_code == 200:
        record_ids = g.get("records_shown")
        if record_ids is None:
            record_ids = _items_shown(response)
    event = dict(
        at=now(),
        **claimed_actor(caller),
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
    # (transactions.reading_session()), never the request's.
    try:
        with appending_after_read() as log_session:
            # Known already if the route proved its caller; if not (a read refused by the rate
            # limiter), a token signed by us may still name a disabled account.
            event["token"] = caller.token_state(log_session)
            if child_ids is None:
                child_ids = children_of(log_session, entity_type, read)
            # Core statements: the same rows as the ORM would write, without its unit of work.
            connection = log_session.connection()
            event_id = connection.execute(
                _INSERT_EVENT, {**event, "child_ids": child_ids}).scalar_one()
            touched = sorted(set(read) | set(child_ids))
            if touched:
                connection.execute(_INSERT_RECORDS, [
                    {"event_id": event_id, "record_id": record_id, "at": event["at"],
                     "actor_sub": event["actor_sub"]}
                    for record_id in touched
                ])
    except SQLAlchemyError:
        log.exception("access event not recorded for %s %s", request.method, request.path)
        return problem_response(
            503,
            "The read could not be recorded in the access log, so nothing is shown; retry shortly.",
            headers={"Retry-After": "5"},
        )
    return response


def record_break_glass(actor, entity_type, entity_id, at):
    """A manager's break-glass access (api/domain/restrictions.py) as an access event, written in
    the grant's own transaction: the grant and its trace in the access log stand or fall together.
    The token is `valid`: the write ran only after the caller was proven."""
    from .db import session

    entity_id = str(entity_id)
    connection = session.connection()
    child_ids = children_of(session, entity_type, [entity_id])
    event_id = connection.execute(_INSERT_EVENT, {
        "at": at, "actor_sub": actor.sub, "actor_role": actor.role, "actor_agency": actor.agency,
        "actor_service": actor.service, "token": "valid", "method": request.method,
        "endpoint": request.endpoint, "path": request.path,
        "query": request.query_string.decode("utf-8", "replace") or None, "status": 201,
        "entity_type": entity_type, "entity_id": entity_id, "record_ids": None,
        "child_ids": child_ids,
    }).scalar_one()
    connection.execute(_INSERT_RECORDS, [
        {"event_id": event_id, "record_id": record_id, "at": at, "actor_sub": actor.sub}
        for record_id in sorted({entity_id, *child_ids})
    ])


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
        if "actor" in args:
            # One range of the (record, reader) index; the event's own reader is checked too.
            stmt = stmt.where(by.actor_sub == args["actor"])
        columns = [by.at, by.event_id]
    else:
        by = AccessEvent
        stmt = select(AccessEvent)
        columns = [by.at, by.id]
    stmt = filtered(stmt, args, equal={"actor": AccessEvent.actor_sub}, since={"from_": by.at},
                    before={"to": by.at})
    return keyset_page(stmt, columns, limit=args["limit"], cursor=args.get("cursor"),
                       descending=True, values_of=lambda event: (event.at, event.id))
