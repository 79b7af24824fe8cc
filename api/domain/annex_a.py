"""Ofsted's Annex A lists for inspection: List 1 (contacts), List 2 (early help), List 3
(referrals), List 4 (assessments) and List 5 (section 47 enquiries and ICPCs), a row per child and
event, as CSV cells under Ofsted's headings.

What each column means in this system is written beside its heading in schemas/annex_a.py.

A list is one ordered query read in batches. The "in the last 12 months" counts of a batch come
from one more query over that batch's children, and are counted here on the London calendar
(the same calendar date a year earlier, as the re-referral flag does), so memory stays flat
however long the period and the counts are exact whatever the database engine. That per-batch
query runs once a batch on one connection: on PostgreSQL it is planned for each batch's own
children and time range, because the stream reads in `reading_session`, which asks for custom
plans (api/transactions.py); a generic plan would scan a year of decisions for every batch.
"""

from bisect import bisect_left

from sqlalchemy import and_, literal, select, union_all

from ..models import (
    Agency, Assessment, Child, Contact, ContactChild, Decision, IcpcChild, MeetingChild,
    StrategyMeeting, Transition,
)
from ..timescales import a_year_before, london_date, start_of_london_day, twelve_months_before
from ..vocab import ETHNICITIES, NOT_YET_OBTAINED, REFERRAL_OUTCOMES, REFERRAL_SOURCES, UNKNOWN_SOURCE

BATCH = 500  # rows read, and counted, at a time

GENDERS = {"male": "Male", "female": "Female", "unknown": "Not stated/recorded"}

CHILD_COLUMNS = (Child.reference.label("child_reference"), Child.sex, Child.ethnicity,
                 Child.date_of_birth, Child.disability)

# List 2's "Organisation completing assessment": the council's early help service (this system
# holds no other organisation's early help assessments).
EARLY_HELP_ORGANISATION = "Early help service"
# List 4's "Was the child assessed as requiring LA children's social care support?": Yes for these
# outcomes of a completed assessment, No for the others, blank while it is open.
NEEDS_SOCIAL_CARE = ("child_in_need_plan", "strategy_discussion", "looked_after")


def with_label(code, labels, fallback):
    """`CODE: label`, the form the Annex A lists show (an unknown code as `fallback`)."""
    code = code if code in labels else fallback
    return f"{code}: {labels[code]}"


def dmy(day):
    return "" if day is None else day.strftime("%d/%m/%Y")


def age_in_years(born, on):
    """Whole years from `born` to `on`; blank for an unborn child (no date of birth)."""
    if born is None or on < born:
        return ""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _child_cells(row, on):
    return [
        row.child_reference,
        GENDERS.get(row.sex, GENDERS["unknown"]),
        with_label(row.ethnicity or NOT_YET_OBTAINED, ETHNICITIES, NOT_YET_OBTAINED),
        dmy(row.date_of_birth),
        age_in_years(row.date_of_birth, on),
    ]


def _source(code):
    return with_label(code, REFERRAL_SOURCES, UNKNOWN_SOURCE)


def _yes_no(flag):
    return "" if flag is None else ("Yes" if flag else "No")


def _disability(flag):
    """Lists 4 and 5: Yes, No, or Unknown (not recorded)."""
    return "Unknown" if flag is None else ("Yes" if flag else "No")


def _batches(session, stmt):
    result = session.execute(stmt, execution_options={"yield_per": BATCH})
    try:
        yield from result.partitions()
    finally:
        result.close()


def _history(session, stmt):
    """{child_id: [when, ...] in order} from (child_id, when) rows."""
    found = {}
    for child_id, when in session.execute(stmt):
        found.setdefault(child_id, []).append(when)
    for times in found.values():
        times.sort()
    return found


def _count_between(times, low, high):
    """How many of the sorted `times` fall in [low, high)."""
    return bisect_left(times, high) - bisect_left(times, low)


# ---- List 1: contacts -------------------------------------------------------------------------


def contacts(session, first, last, shut):
    """Every contact received in the period, a row per child it is about (less those restricted
    from the reader: `shut`, api/domain/restrictions.py)."""
    stmt = (
        select(Contact.received_at, Agency.referral_source, *CHILD_COLUMNS)
        .join(ContactChild, ContactChild.contact_id == Contact.id)
        .join(Child, Child.id == ContactChild.child_id)
        .join(Agency, Agency.code == Contact.source_agency)
        .where(Contact.received_at >= start_of_london_day(first), Contact.received_at < start_of_london_day(last),
               shut.contacts_clause(Contact.id))
        .order_by(Contact.received_at, Contact.id, ContactChild.position)
    )
    for batch in _batches(session, stmt):
        for row in batch:
            received_on = london_date(row.received_at)
            yield [*_child_cells(row, received_on), dmy(received_on), _source(row.referral_source)]


# ---- List 3: referrals ------------------------------------------------------------------------

_current_referral = and_(Decision.superseded_by_id.is_(None), Decision.outcome.in_(REFERRAL_OUTCOMES))


def referrals(session, first, last, shut):
    """Every referral made in the period (a contact whose current decision is assessment or
    strategy discussion, dated by that decision), a row per child."""
    stmt = (
        select(Decision.decided_at, Decision.contact_id, Decision.outcome, ContactChild.child_id,
               Agency.referral_source, Contact.allocated_team, Contact.allocated_worker,
               *CHILD_COLUMNS)
        .join(Contact, Contact.id == Decision.contact_id)
        .join(ContactChild, ContactChild.contact_id == Decision.contact_id)
        .join(Child, Child.id == ContactChild.child_id)
        .join(Agency, Agency.code == Contact.source_agency)
        .where(_current_referral, Decision.decided_at >= start_of_london_day(first),
               Decision.decided_at < start_of_london_day(last),
               shut.contacts_clause(Decision.contact_id))
        .order_by(Decision.decided_at, Decision.contact_id, ContactChild.position)
    )
    for batch in _batches(session, stmt):
        earlier = _history(session, (
            select(ContactChild.child_id, Decision.decided_at)
            .join(Decision, Decision.contact_id == ContactChild.contact_id)
            .where(_current_referral, ContactChild.child_id.in_(list({row.child_id for row in batch})),
                   Decision.decided_at >= twelve_months_before(batch[0].decided_at),
                   Decision.decided_at < batch[-1].decided_at,
                   shut.contacts_clause(Decision.contact_id))
        ))
        ended = _ended_without_action(session, {row.contact_id for row in batch
                                                if row.outcome == "strategy_discussion"})
        for row in batch:
            referred_on = london_date(row.decided_at)
            repeats = _count_between(earlier.get(row.child_id, []),
                                     twelve_months_before(row.decided_at), row.decided_at)
            yield [
                *_child_cells(row, referred_on),
                dmy(referred_on),
                _source(row.referral_source),
                "Yes" if ended.get((row.contact_id, row.child_id)) else "No",
                repeats,
                row.allocated_team or "",
                row.allocated_worker or "",
            ]


def _ended_without_action(session, contact_ids):
    """{(contact_id, child_id): True} where the child's latest held strategy meeting on the
    contact decided no further action."""
    if not contact_ids:
        return {}
    latest = {}
    for contact_id, child_id, outcome in session.execute(
        select(StrategyMeeting.contact_id, MeetingChild.child_id, StrategyMeeting.outcome)
        .join(MeetingChild, MeetingChild.meeting_id == StrategyMeeting.id)
        .where(StrategyMeeting.contact_id.in_(list(contact_ids)), StrategyMeeting.status == "held")
        .order_by(StrategyMeeting.held_at, StrategyMeeting.id)
    ):
        latest[(contact_id, child_id)] = outcome == "no_further_action"
    return latest


# ---- List 5: section 47 enquiries and ICPCs ---------------------------------------------------

_s47 = StrategyMeeting.outcome == "s47_enquiry"


def section_47(session, first, last, shut):
    """Every section 47 enquiry started in the period (a strategy meeting held in it whose
    outcome was an s47 enquiry), a row per child of the meeting, with its ICPC."""
    stmt = (
        select(StrategyMeeting.held_at, MeetingChild.child_id, StrategyMeeting.icpc_recorded_at,
               StrategyMeeting.icpc_not_required, StrategyMeeting.icpc_held_on,
               IcpcChild.child_protection_plan, Contact.allocated_team, Contact.allocated_worker,
               *CHILD_COLUMNS)
        .join(MeetingChild, MeetingChild.meeting_id == StrategyMeeting.id)
        .join(Contact, Contact.id == StrategyMeeting.contact_id)
        .join(Child, Child.id == MeetingChild.child_id)
        .outerjoin(IcpcChild, and_(IcpcChild.meeting_id == StrategyMeeting.id,
                                   IcpcChild.child_id == MeetingChild.child_id))
        .where(_s47, StrategyMeeting.held_at >= start_of_london_day(first),
               StrategyMeeting.held_at < start_of_london_day(last),
               shut.contacts_clause(StrategyMeeting.contact_id))
        .order_by(StrategyMeeting.held_at, StrategyMeeting.id, MeetingChild.position)
    )
    for batch in _batches(session, stmt):
        children = list({row.child_id for row in batch})
        enquiries = _history(session, (
            select(MeetingChild.child_id, StrategyMeeting.held_at)
            .join(StrategyMeeting, StrategyMeeting.id == MeetingChild.meeting_id)
            .where(_s47, MeetingChild.child_id.in_(children),
                   StrategyMeeting.held_at >= twelve_months_before(batch[0].held_at),
                   StrategyMeeting.held_at < batch[-1].held_at,
                   shut.contacts_clause(StrategyMeeting.contact_id))
        ))
        first_day, last_day = london_date(batch[0].held_at), london_date(batch[-1].held_at)
        conferences = _history(session, (
            select(IcpcChild.child_id, StrategyMeeting.icpc_held_on)
            .join(StrategyMeeting, StrategyMeeting.id == IcpcChild.meeting_id)
            .where(IcpcChild.child_id.in_(children), StrategyMeeting.icpc_held_on.is_not(None),
                   StrategyMeeting.icpc_held_on >= a_year_before(first_day),
                   StrategyMeeting.icpc_held_on < last_day,
                   shut.contacts_clause(StrategyMeeting.contact_id))
        ))
        for row in batch:
            started_on = london_date(row.held_at)
            held = row.icpc_held_on is not None
            yield [
                *_child_cells(row, started_on),
                _disability(row.disability),
                dmy(started_on),
                _yes_no(None if row.icpc_recorded_at is None else bool(row.icpc_not_required)),
                dmy(row.icpc_held_on),
                _yes_no(row.child_protection_plan if held else None),
                _count_between(enquiries.get(row.child_id, []),
                               twelve_months_before(row.held_at), row.held_at),
                _count_between(conferences.get(row.child_id, []),
                               a_year_before(started_on), started_on),
                row.allocated_team or "",
                row.allocated_worker or "",
            ]


# ---- List 2: early help ----------------------------------------------------------------------


def _early_help_starts(first, last, shut):
    """(when, record id, position, child id) of each child that went to early help in the period:
    a contact's current decision `early_help` (each of its children), or a step down accepted."""
    start, end = start_of_london_day(first), start_of_london_day(last)
    decided = (
        select(Decision.decided_at.label("started"), Decision.contact_id.label("record_id"),
               ContactChild.position.label("position"), ContactChild.child_id.label("child_id"))
        .join(ContactChild, ContactChild.contact_id == Decision.contact_id)
        .where(Decision.superseded_by_id.is_(None), Decision.outcome == "early_help",
               Decision.decided_at >= start, Decision.decided_at < end,
               shut.contacts_clause(Decision.contact_id))
    )
    stepped_down = (
        select(Transition.response_at.label("started"), Transition.id.label("record_id"),
               literal(0).label("position"), Transition.child_id.label("child_id"))
        .where(Transition.direction == "step_down", Transition.status == "accepted",
               Transition.response_at >= start, Transition.response_at < end,
               shut.children_clause(Transition.child_id))
    )
    return union_all(decided, stepped_down).subquery()


def early_help(session, first, last, shut):
    """Every child who went to early help in the period: decided early help at the front door
    (a row per child of the contact) or stepped down from social care (the step down accepted),
    dated by that decision. The early help assessment itself is the early help service's: its
    completion date is not held here."""
    starts = _early_help_starts(first, last, shut)
    stmt = (
        select(starts.c.started, *CHILD_COLUMNS)
        .join(Child, Child.id == starts.c.child_id)
        .order_by(starts.c.started, starts.c.record_id, starts.c.position)
    )
    for batch in _batches(session, stmt):
        for row in batch:
            started_on = london_date(row.started)
            yield [*_child_cells(row, started_on), dmy(started_on), "", EARLY_HELP_ORGANISATION]


# ---- List 4: assessments ---------------------------------------------------------------------


def assessments(session, first, last, shut):
    """Every single assessment (s17) started in the period, a row each (an assessment is of one
    child), with its authorisation and allocation (the assessment's, else its referral's)."""
    stmt = (
        select(Assessment.started_at, Assessment.status, Assessment.child_seen_at,
               Assessment.authorised_at, Assessment.outcome,
               Assessment.allocated_team.label("team"), Assessment.allocated_worker.label("worker"),
               Contact.allocated_team, Contact.allocated_worker, *CHILD_COLUMNS)
        .join(Child, Child.id == Assessment.child_id)
        .join(Contact, Contact.id == Assessment.contact_id)
        .where(Assessment.started_at >= start_of_london_day(first),
               Assessment.started_at < start_of_london_day(last),
               shut.contacts_clause(Assessment.contact_id), shut.children_clause(Assessment.child_id))
        .order_by(Assessment.started_at, Assessment.id)
    )
    for batch in _batches(session, stmt):
        for row in batch:
            started_on = london_date(row.started_at)
            completed = row.status == "completed"
            yield [
                *_child_cells(row, started_on),
                _disability(row.disability),
                dmy(started_on),
                "Yes" if row.child_seen_at is not None else "Unknown",
                dmy(london_date(row.authorised_at) if completed else None),
                _yes_no(row.outcome in NEEDS_SOCIAL_CARE if completed else None),
                row.team or row.allocated_team or "",
                row.worker or row.allocated_worker or "",
            ]


LISTS = {"contacts": contacts, "early-help": early_help, "referrals": referrals,
         "assessments": assessments, "section-47": section_47}
