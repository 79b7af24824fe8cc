"""Information requests: the MASH asks a partner agency what it knows about a contact's children,
by a deadline set by the contact's RAG rating (api/timescales.py information_due_at), and the
agency answers once.

Staff see every request they may see the contact of (restrictions as for the contact). A partner
agency sees only the requests addressed to it, and of them only what it needs to answer: the
question, the identity of each child as the council holds it, the deadline and the status, never
the contact's other content; and none of them once the contact (or one of its children) is
restricted. An agency reading or answering a request not addressed to it gets a 404: to it, the
request does not exist.
"""

import uuid

from sqlalchemy import and_, not_, select, update

from .. import audit, webhooks
from ..db import session
from ..errors import Conflict, NotFound, RuleViolation
from ..models import Agency, Contact, InformationRequest, InformationRequestChild, Restriction
from ..pages import filtered, keyset_page
from ..timescales import information_due_at, now
from . import restrictions
from .contacts import lock_contact
from .rationale import check_not_future

# Why a threshold decision withdraws the requests still open (unless the decider keeps them).
DECIDED_WITHOUT_IT = "decided without it"


def _in_force():
    """Every restriction in force, whoever asks: what an agency no longer sees."""
    rows = session.execute(select(Restriction.entity_type, Restriction.entity_id)
                           .where(Restriction.lifted_at.is_(None))).all()
    if not rows:
        return restrictions.NOTHING_HIDDEN
    return restrictions.Hidden(children=frozenset(i for kind, i in rows if kind == "child"),
                               contacts=frozenset(i for kind, i in rows if kind == "contact"))


def _visible(actor):
    """The requests `actor` may see, as a query."""
    stmt = select(InformationRequest)
    if actor.role == "agency":
        return stmt.where(InformationRequest.agency == actor.agency,
                          _in_force().contacts_clause(InformationRequest.contact_id))
    return stmt.where(restrictions.hidden(actor).contacts_clause(InformationRequest.contact_id))


def request_information(actor, contact_id, data):
    contact = lock_contact(actor, contact_id)
    agency = session.get(Agency, data["agency"])
    if agency is None:
        raise RuleViolation("agency", f"Unknown agency code {data['agency']!r}; see GET /api/v1/agencies.")
    linked = {link.child_id for link in contact.child_links}
    strangers = [str(c) for c in data["child_ids"] if c not in linked]
    if strangers:
        raise RuleViolation("child_ids", "Each child must be one of the contact's children "
                            f"(its children[].id); not {', '.join(strangers)}.")
    pending = session.scalar(select(InformationRequest.id).where(
        InformationRequest.contact_id == contact.id, InformationRequest.agency == agency.code,
        InformationRequest.status == "open"))
    if pending is not None:
        raise Conflict(
            f"{agency.name} already has an open request on this contact ({pending}).",
            errors={"agency": ["Already has an open request on this contact."]},
        )
    current = now()
    record = InformationRequest(
        id=uuid.uuid4(), contact_id=contact.id, agency=agency.code, question=data["question"],
        rag_rating=contact.rag_rating, requested_at=current, requested_by_sub=actor.sub,
        requested_by_role=actor.role, due_at=information_due_at(current, contact.rag_rating),
        status="open",
    )
    record.children = [InformationRequestChild(position=n, child_id=child_id)
                       for n, child_id in enumerate(data["child_ids"])]
    session.add(record)
    session.flush()
    audit.record(actor, "information_request.requested", "information_request", record.id,
                 {**audit.snapshot(record), "child_ids": list(data["child_ids"])})
    webhooks.information_request_event("information_request.created", record)
    return record


def get_request(actor, request_id):
    """The request, unless there is none or `actor` may not see it (one 404 for both)."""
    record = session.scalar(_visible(actor).where(InformationRequest.id == request_id))
    if record is None:
        raise NotFound(f"No information request {request_id} that you may see.")
    return record


def _close(record, values):
    """Move a request on from `open` exactly once, even with two writers at the same moment."""
    changed = session.execute(
        update(InformationRequest)
        .where(InformationRequest.id == record.id, InformationRequest.status == "open")
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(record)
    if changed != 1:
        raise Conflict(f"The request has already been {record.status}.")


def respond(actor, request_id, data):
    record = get_request(actor, request_id)
    if record.status != "open":
        raise Conflict(f"The request has already been {record.status}.")
    current = now()
    responded_at = data.get("responded_at") or current
    check_not_future("responded_at", responded_at, current)
    if responded_at < record.requested_at:
        raise RuleViolation("responded_at", "Must not be before the request was made.")
    information = data.get("information")
    if data["known"] and not information:
        raise RuleViolation("information", "Say what you know: required when known is true.")
    _close(record, {
        "status": "answered", "known": data["known"], "information": information,
        "responded_at": responded_at, "response_recorded_at": current,
        "responded_by_sub": actor.sub, "within_deadline": responded_at <= record.due_at,
        "seconds_to_response": int((responded_at - record.requested_at).total_seconds()),
        "after_decision": session.scalar(select(Contact.status).where(
            Contact.id == record.contact_id)) == "decided",
    })
    audit.record(actor, "information_request.answered", "information_request", record.id, {
        "known": record.known, "information": record.information, "responded_at": responded_at,
        "within_deadline": record.within_deadline, "after_decision": record.after_decision})
    return record


def withdraw(actor, request_id, data):
    record = get_request(actor, request_id)
    if record.status != "open":
        raise Conflict(f"The request has already been {record.status}.")
    return _withdraw(actor, record, data["reason"])


def _withdraw(actor, record, reason):
    _close(record, {"status": "withdrawn", "withdrawn_at": now(), "withdrawn_by_sub": actor.sub,
                    "withdrawal_reason": reason})
    audit.record(actor, "information_request.withdrawn", "information_request", record.id,
                 {"reason": reason, "at": record.withdrawn_at})
    webhooks.information_request_event("information_request.withdrawn", record)
    return record


def withdraw_open(actor, contact_id, reason=DECIDED_WITHOUT_IT):
    """Withdraw every request still open on the contact (a decision made without them)."""
    records = session.scalars(select(InformationRequest).where(
        InformationRequest.contact_id == contact_id, InformationRequest.status == "open")
        .order_by(InformationRequest.requested_at, InformationRequest.id)).all()
    return [_withdraw(actor, record, reason) for record in records]


def open_on(contact_id):
    return session.scalars(select(InformationRequest).where(
        InformationRequest.contact_id == contact_id, InformationRequest.status == "open")
        .order_by(InformationRequest.requested_at, InformationRequest.id)).all()


def of_contacts(contact_ids):
    """{contact id: its requests, in the order asked} for these contacts (one query, and one
    for the children asked about)."""
    found = {}
    if not contact_ids:
        return found
    for record in session.scalars(select(InformationRequest).where(
            InformationRequest.contact_id.in_(contact_ids))
            .order_by(InformationRequest.requested_at, InformationRequest.id)):
        found.setdefault(record.contact_id, []).append(record)
    return found


def list_requests(actor, args):
    stmt = filtered(_visible(actor), args, equal={"status": InformationRequest.status,
                                                  "agency": InformationRequest.agency})
    if "contact_id" in args:
        stmt = stmt.where(InformationRequest.contact_id == args["contact_id"])
    if "overdue" in args:
        overdue = and_(InformationRequest.status == "open", InformationRequest.due_at < now())
        stmt = stmt.where(overdue if args["overdue"] else not_(overdue))
    page = keyset_page(stmt, [InformationRequest.requested_at, InformationRequest.id],
                       limit=args["limit"], cursor=args.get("cursor"), descending=True)
    return {**page, "items": [view_for(actor, r) for r in page["items"]]}


# ---- what each actor is shown ------------------------------------------------------------------


def _child_identity(child):
    return {"id": child.id, "given_name": child.given_name, "family_name": child.family_name,
            "date_of_birth": child.date_of_birth, "nhs_number": child.nhs_number}


def _response(record):
    if record.status != "answered":
        return None
    return {"known": record.known, "information": record.information,
            "responded_at": record.responded_at, "at": record.responded_at,
            "recorded_at": record.response_recorded_at,
            "by": record.responded_by_sub, "within_deadline": record.within_deadline}


def _staff_response(record):
    shown = _response(record)
    return shown and {**shown, "after_decision": record.after_decision}


def view_for(actor, record):
    shown = {
        "id": record.id, "agency": record.agency, "question": record.question,
        "children": [_child_identity(link.child) for link in record.children],
        "requested_at": record.requested_at, "due_at": record.due_at, "status": record.status,
        "overdue": record.status == "open" and record.due_at < now(),
        "response": _response(record), "withdrawn_at": record.withdrawn_at,
    }
    if actor.role == "agency":
        return shown
    return {**shown, "response": _staff_response(record), "contact_id": record.contact_id, "rag_rating": record.rag_rating,
            "requested_by": record.requested_by_sub, "withdrawn_by": record.withdrawn_by_sub,
            "withdrawal_reason": record.withdrawal_reason}
