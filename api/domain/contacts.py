"""Recording contacts, their consent and their RAG rating; what each actor may see of them."""

import uuid
from datetime import date, timedelta
from functools import cache

from sqlalchemy import and_, bindparam, exists, inspect, not_, select
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from .. import audit
from ..db import insert_records, lock, session
from ..errors import Conflict, Forbidden, NotFound, RuleViolation
from ..models import Agency, ConsentRecord, Contact, ContactChild, Decision, RagRating
from ..pages import filtered, keyset_page
from ..timescales import london_date, now, rag_decision_due_at
from ..vocab import REFERRAL_OUTCOMES
from . import restrictions
from .children import identify_child, matches_of_contacts, possible_matches_for
from .rationale import check_not_future, check_rationale
from .references import next_reference

# An unborn child's expected date is at most this long after the contact (a full pregnancy).
MAX_EXPECTED_BIRTH_AHEAD = timedelta(days=300)


# Built once (building a statement costs more than running it).
_AGENCY_EXISTS = select(Agency.code).where(Agency.code == bindparam("code"))


def _check_source_agency(actor, code):
    if actor.role == "agency" and code != actor.agency:
        raise Forbidden(
            f"An agency client may only record contacts from its own agency ({actor.agency}).",
            errors={"source_agency": [f"Must be your own agency code, {actor.agency}."]},
        )
    if session.connection().execute(_AGENCY_EXISTS, {"code": code}).first() is None:
        raise RuleViolation("source_agency", f"Unknown agency code {code!r}; see GET /api/v1/agencies.")


def _check_received_at(received_at, children, current):
    check_not_future("received_at", received_at, current)
    received_on = london_date(received_at)
    for index, child in enumerate(children):
        born = child.get("date_of_birth")
        expected = child.get("expected_date_of_birth")
        if born and born > london_date(current):
            raise RuleViolation(f"children[{index}].date_of_birth", "Must not be in the future.")
        if born and received_on < born:
            raise RuleViolation(
                "received_at",
                f"Must not be before children[{index}].date_of_birth ({born.isoformat()}).",
            )
        if expected and not (received_on <= expected <= received_on + MAX_EXPECTED_BIRTH_AHEAD):
            raise RuleViolation(
                f"children[{index}].expected_date_of_birth",
                "Must fall between the date the contact was received and 300 days after it.",
            )


def record_contact(actor, data):
    """Record a contact, its children and its first consent status. Consent never blocks it."""
    current = now()
    _check_source_agency(actor, data["source_agency"])
    _check_received_at(data["received_at"], data["children"], current)
    consent = data["consent"]
    # The children first, so looking them up does not flush a half-built contact. Each entry is
    # linked to a record (found on strong evidence, else made from the details given); what else
    # the details point at becomes its possible matches. Nothing here depends on the actor, and
    # nothing is refused for what the council holds about other children.
    identified = [identify_child(actor, child_data, current) for child_data in data["children"]]
    contact_id = uuid.uuid4()
    contact = Contact(
        id=contact_id,
        reference=next_reference("C", london_date(current).year),
        received_at=data["received_at"],
        recorded_at=current,
        source_agency=data["source_agency"],
        source_reference=data.get("source_reference"),
        channel=data.get("channel"),
        referrer=data.get("referrer"),
        concern_categories=data["concerns"].get("categories", []),
        concern_summary=data["concerns"]["summary"],
        consent_status=consent["status"],
        consent_given_by=consent.get("given_by"),
        consent_reason=consent.get("reason"),
        status="awaiting_decision",
        decision_due_at=rag_decision_due_at(data["received_at"], None),
        rag_rating=None,
        feedback_given_at=None,
        recorded_by_sub=actor.sub,
        recorded_by_role=actor.role,
        version=1,
    )
    links, matches = [], []
    for position, ((child, found), child_data) in enumerate(
            zip(identified, data["children"], strict=True)):
        links.append(ContactChild(contact_id=contact_id, position=position, child_id=child.id,
                                  first_child_id=child.id, child=child,
                                  details=_as_given(child_data)))
        matches.extend(possible_matches_for(contact_id, position, found, current))
    first_consent = _consent_record(actor, consent, current)
    first_consent.id, first_consent.contact_id = uuid.uuid4(), contact_id
    # A new contact has its first consent record and its child links, and no decisions or
    # feedback yet: shown as written, without reading anything back.
    for collection, value in (("child_links", links), ("consent_history", [first_consent]),
                              ("rag_history", []), ("decisions", []), ("feedback", [])):
        set_committed_value(contact, collection, value)
    insert_records(contact, first_consent, *links, *matches)
    audit.record(
        actor,
        "contact.recorded",
        "contact",
        contact.id,
        {
            **audit.snapshot(contact),
            "children": [str(link.child_id) for link in contact.child_links],
            **({"possible_matches": [
                {"position": m.position, "candidate_id": m.candidate_id, "evidence": m.evidence}
                for m in matches]} if matches else {}),
        },
    )
    return contact


def _as_given(child_data):
    return {key: value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in child_data.items()}


def _consent_record(actor, consent, current):
    return ConsentRecord(
        status=consent["status"],
        given_by=consent.get("given_by"),
        reason=consent.get("reason"),
        recorded_at=current,
        recorded_by_sub=actor.sub,
        recorded_by_role=actor.role,
    )


def lock_contact(actor, contact_id):
    """The contact, under a row lock to the end of the transaction (changes to it are judged
    as it now stands)."""
    return lock(get_contact(actor, contact_id))


def record_consent(actor, contact_id, data):
    """A new consent status for a contact; the earlier ones are kept."""
    contact = lock_contact(actor, contact_id)
    current = now()
    record = _consent_record(actor, data, current)
    contact.consent_history.append(record)
    contact.consent_status = data["status"]
    contact.consent_given_by = data.get("given_by")
    contact.consent_reason = data.get("reason")
    session.flush()
    audit.record(
        actor,
        "contact.consent_recorded",
        "contact",
        contact.id,
        {"consent_record_id": record.id, "status": record.status, "given_by": record.given_by,
         "reason": record.reason},
    )
    return contact


def record_rag(actor, contact_id, data):
    """A new RAG rating for a contact awaiting its decision: it sets decision_due_at from the
    contact's receipt (api/timescales.py rag_decision_due_at); the earlier ratings are kept."""
    contact = lock_contact(actor, contact_id)
    if contact.status != "awaiting_decision":
        raise Conflict(
            "The contact has a threshold decision: a RAG rating sets how fast it must be "
            "decided, so it is given only before the decision.",
            errors={"rating": ["The contact is decided; it can no longer be rated."]},
        )
    reason = check_rationale("reason", data.get("reason"), explains="the rating")
    current = now()
    record = RagRating(
        id=uuid.uuid4(), contact_id=contact.id, position=len(contact.rag_history),
        rating=data["rating"], reason=reason, rated_at=current, rated_by_sub=actor.sub,
        rated_by_role=actor.role,
    )
    contact.rag_history.append(record)
    before = contact.decision_due_at
    contact.rag_rating = record.rating
    contact.decision_due_at = rag_decision_due_at(contact.received_at, record.rating)
    session.flush()
    audit.record(
        actor,
        "contact.rag_rated",
        "contact",
        contact.id,
        {"rag_rating_id": record.id, "rating": record.rating, "reason": record.reason,
         "decision_due_at": {"from": before, "to": contact.decision_due_at}},
    )
    return contact


def _posted_by_agency(agency):
    return and_(Contact.recorded_by_role == "agency", Contact.source_agency == agency)


def visible_contacts(actor):
    """Contacts this actor may read, as a query: an agency sees only what its systems posted;
    staff do not see a restricted contact, or one about a restricted child, unless allowed
    (api/domain/restrictions.py)."""
    stmt = select(Contact)
    if actor.role == "agency":
        stmt = stmt.where(_posted_by_agency(actor.agency))
    shut = restrictions.hidden(actor)
    if shut:
        stmt = stmt.where(shut.contacts_clause(Contact.id))
    return stmt


def get_contact(actor, contact_id):
    contact = session.scalar(visible_contacts(actor).where(Contact.id == contact_id))
    if contact is None:
        raise NotFound(f"No contact {contact_id} that you may see.")
    return contact


@cache
def _contact_to_show(agency_reader):
    """read_contact's query, built once per kind of reader (visible_contacts' rule, with the values
    as parameters), so that a request neither builds it nor works out its cache key again."""
    stmt = select(Contact).where(Contact.id == bindparam("contact_id"))
    if agency_reader:
        stmt = stmt.where(_posted_by_agency(bindparam("agency")))
    # The child links (at most 30, with their children) and the consent history come with the
    # contact in one query: children times consent records rows (a handful for most contacts),
    # cheaper than a second query; unique() folds them back.
    return stmt.options(
        joinedload(Contact.child_links), joinedload(Contact.consent_history),
        lazyload(Contact.decisions), lazyload(Contact.feedback),
        *([lazyload(Contact.rag_history)] if agency_reader else []),
    )


def read_contact(actor, contact_id):
    """get_contact, loaded for showing it (GET) in fewer queries."""
    contact = session.scalars(
        _contact_to_show(actor.role == "agency"), {"contact_id": contact_id, "agency": actor.agency}
    ).unique().one_or_none()
    if contact is None or restrictions.hides_contact(
            actor, contact.id, [link.child_id for link in contact.child_links]):
        raise NotFound(f"No contact {contact_id} that you may see.")
    # The first decision makes a contact decided, and the first feedback sets feedback_given_at,
    # in the same transaction (api/domain/decisions.py): without them there are none to read.
    unloaded = inspect(contact).unloaded
    if contact.status == "awaiting_decision" and "decisions" in unloaded:
        set_committed_value(contact, "decisions", [])
    if contact.feedback_given_at is None and "feedback" in unloaded:
        set_committed_value(contact, "feedback", [])
    return contact


def list_contacts(actor, args):
    stmt = filtered(visible_contacts(actor), args,
                    equal={"status": Contact.status, "source_agency": Contact.source_agency},
                    since={"received_from": Contact.received_at},
                    before={"received_to": Contact.received_at})
    if "overdue" in args:
        overdue = and_(Contact.status == "awaiting_decision", Contact.decision_due_at < now())
        stmt = stmt.where(overdue if args["overdue"] else not_(overdue))
    if "unallocated" in args:
        if actor.role == "agency":  # whether a contact became a referral, and its allocation
            raise RuleViolation("unallocated", "Staff and auditors only.")
        unallocated = and_(_is_open_referral(), Contact.allocated_at.is_(None))
        stmt = stmt.where(unallocated if args["unallocated"] else not_(unallocated))
    columns, descending = LIST_ORDERS[args.get("order", "received")]
    return keyset_page(stmt, columns, limit=args["limit"], cursor=args.get("cursor"),
                       descending=descending)


def _is_open_referral():
    """The contact's current decision makes it a referral, and it is not closed."""
    return and_(Contact.closed_on.is_(None), exists().where(
        Decision.contact_id == Contact.id, Decision.superseded_by_id.is_(None),
        Decision.outcome.in_(REFERRAL_OUTCOMES)))


# GET /contacts?order=: the keyset columns and direction of each. `due` is the front door's queue
# (status=awaiting_decision, which the schema requires with it): served by ix_contacts_status_due.
LIST_ORDERS = {
    "received": ([Contact.received_at, Contact.id], True),
    "due": ([Contact.decision_due_at, Contact.id], False),
}


REFERRER_FIELDS = (
    "id", "reference", "status", "received_at", "recorded_at", "decision_due_at",
    "source_agency", "source_reference", "referrer", "channel", "concerns",
    "current_outcome", "feedback",
)


class ReferrerView:
    """What the referring agency sees of its own contact: what it sent, the status, the current
    outcome and when it was decided, and the feedback. Never the rationale or anything internal."""

    def __init__(self, contact):
        for name in REFERRER_FIELDS:
            setattr(self, name, getattr(contact, name))
        # The children as this agency described them, never what others recorded about them.
        self.children = [_child_as_given(link) for link in contact.child_links]
        first = contact.consent_history[0] if contact.consent_history else None
        self.consent = (
            {"status": first.status, "given_by": first.given_by, "reason": first.reason}
            if first else None
        )


def _child_as_given(link):
    # The record the entry was first linked to: what the referrer was told when it posted, never
    # changed by a practitioner's link or a merge (which would tell it what the council knows).
    return {"id": link.first_child_id, **given_details(link)}


def given_details(link):
    details = dict(link.details or {})
    for key in ("date_of_birth", "expected_date_of_birth"):
        if details.get(key):
            details[key] = date.fromisoformat(details[key])
    return details


def child_fields(child):
    """A child record as the Child schema shows it."""
    fields = {key: getattr(child, key) for key in (
        "id", "reference", "given_name", "family_name", "date_of_birth", "expected_date_of_birth",
        "sex", "ethnicity", "nhs_number", "local_child_id", "disability", "disabilities")}
    return {**fields, "merged_into": child.merged_into_id}


def match_view(match, linked_child_id):
    return {
        "contact_id": match.contact_id, "position": match.position, "child_id": linked_child_id,
        "candidate": child_fields(match.candidate), "evidence": match.evidence,
        "status": match.status, "found_at": match.found_at, "decided_at": match.decided_at,
        "decided_by": match.decided_by_sub,
    }


def rag_view(record):
    return {"rating": record.rating, "reason": record.reason, "by": record.rated_by_sub,
            "at": record.rated_at}


class StaffView:
    """A contact as staff see it: each child entry is the record it is linked to, with the details
    as the referrer gave them (`as_given`) and the entry's possible matches; its RAG rating and
    every rating given (never shown to an agency)."""

    def __init__(self, contact, matches, shut=restrictions.NOTHING_HIDDEN, requests=None):
        self._contact = contact
        if requests is not None:
            self.information_requests = requests
        self.rag_history = [rag_view(record) for record in contact.rag_history]
        self.rag = self.rag_history[-1] if self.rag_history else None
        from .assessments import allocation_history, allocation_view, closure_view

        self.allocation = allocation_view(contact)
        self.allocation_history = allocation_history(contact.allocations)
        self.closure = closure_view(contact)
        self.children = [
            {**child_fields(link.child), "as_given": given_details(link),
             "possible_matches": [match_view(m, link.child_id)
                                  for m in matches.get((contact.id, link.position), [])
                                  if not shut.hides_match(m, link.child_id)]}
            for link in contact.child_links
        ]

    def __getattr__(self, name):
        return getattr(self._contact, name)


def views_for(actor, contacts):
    """Each contact as this actor may see it (one query for the possible matches of them all,
    and, for staff, one for their information requests)."""
    if actor.role == "agency":
        return [ReferrerView(contact) for contact in contacts]
    from .information_requests import of_contacts, view_for as request_view

    matches = matches_of_contacts([contact.id for contact in contacts])
    # A possible match is shown only if it shows no record restricted from this actor.
    shut = restrictions.hidden(actor) if matches else restrictions.NOTHING_HIDDEN
    requests = of_contacts([contact.id for contact in contacts])
    return [StaffView(contact, matches, shut,
                      [request_view(actor, r) for r in requests.get(contact.id, [])])
            for contact in contacts]


def view_for(actor, contact):
    return views_for(actor, [contact])[0]
