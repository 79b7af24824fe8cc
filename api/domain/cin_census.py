"""The DfE Children in Need census return for a collection year, as XML, streamed.

A collection year `2026-27` runs from 1 April 2026 to 31 March 2027 (the reference date). The
return holds every child with a referral open in the year: a contact whose current decision is
`assessment` or `strategy_discussion` (as Annex A counts referrals), dated on or before the
reference date and not closed before the year began. For each: the child's identifiers and
characteristics, and per referral its `CINdetails` (the referral's date, source, primary need,
closure, whether it ended in no further action) with the child's single assessments (with their
factors once authorised), section 47 enquiries (the strategy meetings held with outcome
`s47_enquiry`, with their initial child protection conference) and the child protection plans
those conferences made.

The element names, their order and their formats are those the DfE's own validation rules read
(the data-to-insight `csc-validator-be-cin` package: see `make validate-cin`): dates
YYYY-MM-DD, `ReferralNFA` true/false, `ICPCnotRequired` 1/0, no XML namespace. What this system
does not hold is left out and says so where a reader would look:
- a child's UPN (the council's education systems hold it): `UPNunknown` is `UN7` for a child whose
  every referral in the return ended in no further action, `UN1` for a child not yet of school
  age, and absent otherwise (the census's QUERY 8770Q asks the council to add the UPN);
- child in need plans and child protection plan reviews and end dates (recorded after the front
  door): no `CINPlanDates`, no `Reviews`, no `CPPendDate`;
- a primary need not yet recorded is `N0` (not stated); a disability not recorded gives no
  `Disability` (the census's rule 8540 then says the record is incomplete, which it is).

Memory stays flat: the children are read in batches of BATCH, each batch's referrals, assessments,
meetings and plans in a few queries, and the XML is yielded as it is written.
"""

import io
import re
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import XMLGenerator

from sqlalchemy import and_, func, or_, select

from ..errors import RuleViolation
from ..models import (
    Agency, Assessment, AssessmentFactor, Child, Contact, ContactChild, Decision, IcpcChild,
    MeetingChild, StrategyMeeting,
)
from ..timescales import LONDON, london_date, start_of_london_day
from ..vocab import REFERRAL_OUTCOMES

BATCH = 200  # children at a time
SOFTWARE_CODE = "mash-front-door"
SEX = {"female": "F", "male": "M", "unknown": "U"}
YEAR = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class CollectionYear:
    first: date  # 1 April
    reference: date  # 31 March: the reference date, the year's last day

    @property
    def label(self):
        return f"{self.first.year}-{self.reference.year % 100:02d}"


def collection_year(text):
    """`2026-27` -> 1 April 2026 to 31 March 2027; RuleViolation naming `year` otherwise."""
    match = YEAR.match(text or "")
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise RuleViolation("year", "A collection year as YYYY-YY, the second year the one after "
                            "the first (e.g. 2026-27: 1 April 2026 to 31 March 2027).")
    start = int(match.group(1))
    if not 2000 <= start <= 2998:
        raise RuleViolation("year", "Out of range.")
    return CollectionYear(date(start, 4, 1), date(start + 1, 3, 31))


def la_child_id(reference):
    """The census's LAchildID: letters and digits only, at most 20 (CH-2026-000123 ->
    CH2026000123)."""
    return re.sub(r"[^A-Za-z0-9]", "", reference)[:20]


def _day(value):
    return value.isoformat() if value else None


def _open_in_year(year, shut):
    """The WHERE clause of the current referrals open in the year (and not hidden)."""
    return and_(
        Decision.superseded_by_id.is_(None), Decision.outcome.in_(REFERRAL_OUTCOMES),
        Decision.decided_at < start_of_london_day(date.fromordinal(year.reference.toordinal() + 1)),
        or_(Contact.closed_on.is_(None), Contact.closed_on >= year.first),
        shut.contacts_clause(Decision.contact_id),
    )


def count_children(session, year, shut):
    return session.scalar(
        select(func.count(ContactChild.child_id.distinct()))
        .select_from(Decision).join(Contact, Contact.id == Decision.contact_id)
        .join(ContactChild, ContactChild.contact_id == Decision.contact_id)
        .where(_open_in_year(year, shut)))


def _child_batches(session, year, shut):
    stmt = (
        select(ContactChild.child_id).distinct()
        .select_from(Decision).join(Contact, Contact.id == Decision.contact_id)
        .join(ContactChild, ContactChild.contact_id == Decision.contact_id)
        .where(_open_in_year(year, shut))
        .order_by(ContactChild.child_id)
    )
    result = session.execute(stmt, execution_options={"yield_per": BATCH})
    try:
        for partition in result.partitions():
            yield [row.child_id for row in partition]
    finally:
        result.close()


def _grouped(rows, key):
    found = {}
    for row in rows:
        found.setdefault(key(row), []).append(row)
    return found


class _Batch:
    """What the return needs of a batch of children, in a fixed number of queries."""

    def __init__(self, session, year, shut, child_ids):
        self.children = {c.id: c for c in session.scalars(select(Child).where(Child.id.in_(child_ids)))}
        referrals = session.execute(
            select(ContactChild.child_id, Decision.contact_id, Decision.decided_at,
                   Contact.closed_on, Contact.closure_reason, Contact.primary_need,
                   Agency.referral_source)
            .select_from(Decision).join(Contact, Contact.id == Decision.contact_id)
            .join(ContactChild, ContactChild.contact_id == Decision.contact_id)
            .join(Agency, Agency.code == Contact.source_agency)
            .where(_open_in_year(year, shut), ContactChild.child_id.in_(child_ids))
            .order_by(ContactChild.child_id, Decision.decided_at, Decision.contact_id)
        ).all()
        self.referrals = _grouped(referrals, lambda r: r.child_id)
        contact_ids = list({r.contact_id for r in referrals})
        assessments = session.scalars(
            select(Assessment).where(Assessment.contact_id.in_(contact_ids),
                                     Assessment.child_id.in_(child_ids))
            .order_by(Assessment.started_at, Assessment.id)).all()
        self.assessments = _grouped(assessments, lambda a: (a.contact_id, a.child_id))
        factors = session.execute(
            select(AssessmentFactor.assessment_id, AssessmentFactor.code)
            .where(AssessmentFactor.assessment_id.in_([a.id for a in assessments]))
            .order_by(AssessmentFactor.assessment_id, AssessmentFactor.position)).all()
        self.factors = {k: [r.code for r in v]
                        for k, v in _grouped(factors, lambda r: r.assessment_id).items()}
        meetings = session.execute(
            select(StrategyMeeting.contact_id, MeetingChild.child_id, StrategyMeeting.held_at,
                   StrategyMeeting.outcome, StrategyMeeting.icpc_due_date,
                   StrategyMeeting.icpc_held_on, StrategyMeeting.icpc_not_required,
                   StrategyMeeting.icpc_recorded_at, IcpcChild.child_protection_plan,
                   IcpcChild.category_of_abuse)
            .join(MeetingChild, MeetingChild.meeting_id == StrategyMeeting.id)
            .outerjoin(IcpcChild, and_(IcpcChild.meeting_id == StrategyMeeting.id,
                                       IcpcChild.child_id == MeetingChild.child_id))
            .where(StrategyMeeting.contact_id.in_(contact_ids), MeetingChild.child_id.in_(child_ids),
                   StrategyMeeting.status == "held")
            .order_by(StrategyMeeting.held_at, StrategyMeeting.id)).all()
        self.meetings = _grouped(meetings, lambda m: (m.contact_id, m.child_id))
        # Every plan each child was made subject to, whenever (NumberOfPreviousCPP).
        plans = session.execute(
            select(IcpcChild.child_id, StrategyMeeting.icpc_held_on)
            .join(StrategyMeeting, StrategyMeeting.id == IcpcChild.meeting_id)
            .where(IcpcChild.child_id.in_(child_ids), IcpcChild.child_protection_plan.is_(True),
                   StrategyMeeting.icpc_held_on.is_not(None))).all()
        self.plan_days = {k: sorted(r.icpc_held_on for r in v)
                          for k, v in _grouped(plans, lambda r: r.child_id).items()}


class _Writer:
    """XMLGenerator over a buffer that is emptied as the document is read."""

    def __init__(self):
        self.buffer = io.StringIO()
        self.xml = XMLGenerator(self.buffer, encoding="utf-8", short_empty_elements=True)

    def drain(self):
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text

    def open(self, name):
        self.xml.startElement(name, {})

    def close(self, name):
        self.xml.endElement(name)

    def leaf(self, name, value):
        if value is None:
            return
        self.xml.startElement(name, {})
        self.xml.characters(str(value))
        self.xml.endElement(name)


def _referral_nfa(assessments, meetings):
    """No assessment, no section 47 enquiry, and the child's latest held strategy meeting on it
    decided no further action."""
    if assessments or any(m.outcome == "s47_enquiry" for m in meetings):
        return False
    return bool(meetings) and meetings[-1].outcome == "no_further_action"


def _school_age_born_by(year):
    """Born on or before this date: of school age in the year (as the census's 8770Q judges it)."""
    return date(year.reference.year - 6, 8, 31)


@dataclass
class _Episode:
    """A CIN episode: a referral, and any later referral of the child made while it was still
    open (or on the day it closed), which the census counts as part of it, not as an episode of
    its own (its rules 8815, 8816 and 8820: one open episode at a time, none overlapping)."""

    referral: object  # the first referral: its date, source
    referrals: list
    assessments: list
    meetings: list

    @property
    def closed_on(self):
        days = [r.closed_on for r in self.referrals]
        return None if any(day is None for day in days) else max(days)

    @property
    def closure_reason(self):
        return max(self.referrals, key=lambda r: r.closed_on).closure_reason

    @property
    def primary_need(self):
        recorded = [r.primary_need for r in self.referrals if r.primary_need]
        return recorded[-1] if recorded else None

    @property
    def nfa(self):
        return _referral_nfa(self.assessments, self.meetings)


def _episodes(batch, child):
    episodes = []
    for referral in batch.referrals[child.id]:
        key = (referral.contact_id, child.id)
        assessments = batch.assessments.get(key, [])
        meetings = batch.meetings.get(key, [])
        current = episodes[-1] if episodes else None
        started = london_date(referral.decided_at)
        if current is not None and (current.closed_on is None or started <= current.closed_on):
            current.referrals.append(referral)
            current.assessments.extend(assessments)
            current.meetings.extend(meetings)
            current.meetings.sort(key=lambda m: m.held_at)
        else:
            episodes.append(_Episode(referral, [referral], list(assessments), list(meetings)))
    return episodes


def _child(writer, year, batch, child):
    episodes = _episodes(batch, child)
    writer.open("Child")
    writer.open("ChildIdentifiers")
    writer.leaf("LAchildID", la_child_id(child.reference))
    if all(episode.nfa for episode in episodes):
        writer.leaf("UPNunknown", "UN7")
    elif child.date_of_birth is None or child.date_of_birth > _school_age_born_by(year):
        writer.leaf("UPNunknown", "UN1")
    if child.date_of_birth is not None:
        writer.leaf("PersonBirthDate", _day(child.date_of_birth))
    elif child.expected_date_of_birth is not None:
        writer.leaf("ExpectedPersonBirthDate", _day(child.expected_date_of_birth))
    writer.leaf("Sex", "U" if child.date_of_birth is None else SEX.get(child.sex, "U"))
    writer.close("ChildIdentifiers")

    writer.open("ChildCharacteristics")
    writer.leaf("Ethnicity", child.ethnicity or "NOBT")
    writer.open("Disabilities")
    if child.disability is False:
        writer.leaf("Disability", "NONE")
    for code in (child.disabilities or []) if child.disability else []:
        writer.leaf("Disability", code)
    writer.close("Disabilities")
    writer.close("ChildCharacteristics")

    plan_days = batch.plan_days.get(child.id, [])
    for episode in episodes:
        referral, assessments, meetings = episode.referral, episode.assessments, episode.meetings
        writer.open("CINdetails")
        writer.leaf("CINreferralDate", _day(london_date(referral.decided_at)))
        # As the agency's record holds it: a source missing there is missing here (the census's
        # rule 8866 then says so), never made up.
        writer.leaf("ReferralSource", referral.referral_source)
        writer.leaf("PrimaryNeedCode", episode.primary_need or "N0")
        closed_on = episode.closed_on
        if closed_on is not None and closed_on <= year.reference:
            writer.leaf("CINclosureDate", _day(closed_on))
            writer.leaf("ReasonForClosure", episode.closure_reason)
        writer.leaf("ReferralNFA", "true" if episode.nfa else "false")
        for assessment in assessments:
            if london_date(assessment.started_at) > year.reference:
                continue
            writer.open("Assessments")
            writer.leaf("AssessmentActualStartDate", _day(london_date(assessment.started_at)))
            authorised = (assessment.authorised_at is not None
                          and london_date(assessment.authorised_at) <= year.reference)
            if authorised:
                writer.leaf("AssessmentAuthorisationDate",
                            _day(london_date(assessment.authorised_at)))
                writer.open("FactorsIdentifiedAtAssessment")
                for code in batch.factors.get(assessment.id, []):
                    writer.leaf("AssessmentFactors", code)
                writer.close("FactorsIdentifiedAtAssessment")
            writer.close("Assessments")
        enquiries = [m for m in meetings if m.outcome == "s47_enquiry"
                     and london_date(m.held_at) <= year.reference]
        for meeting in enquiries:
            writer.open("Section47")
            writer.leaf("S47ActualStartDate", _day(london_date(meeting.held_at)))
            writer.leaf("InitialCPCtarget", _day(meeting.icpc_due_date))
            held = meeting.icpc_held_on is not None and meeting.icpc_held_on <= year.reference
            writer.leaf("DateOfInitialCPC", _day(meeting.icpc_held_on) if held else None)
            if meeting.icpc_recorded_at is not None:
                writer.leaf("ICPCnotRequired", "1" if meeting.icpc_not_required else "0")
            writer.close("Section47")
        for meeting in enquiries:
            if not (meeting.child_protection_plan and meeting.icpc_held_on is not None
                    and meeting.icpc_held_on <= year.reference):
                continue
            writer.open("ChildProtectionPlans")
            writer.leaf("CPPstartDate", _day(meeting.icpc_held_on))
            writer.leaf("InitialCategoryOfAbuse", meeting.category_of_abuse)
            writer.leaf("LatestCategoryOfAbuse", meeting.category_of_abuse)
            writer.leaf("NumberOfPreviousCPP",
                        sum(1 for day in plan_days if day < meeting.icpc_held_on))
            writer.close("ChildProtectionPlans")
        writer.close("CINdetails")
    writer.close("Child")


def census_xml(session, year, shut, la_code, release, at):
    """The return as XML text, yielded in pieces. `at`: when it was made (the header's DateTime)."""
    writer = _Writer()
    writer.xml.startDocument()
    writer.open("Message")
    writer.open("Header")
    writer.open("CollectionDetails")
    writer.leaf("Collection", "CIN")
    writer.leaf("Year", year.reference.year)
    writer.leaf("ReferenceDate", _day(year.reference))
    writer.close("CollectionDetails")
    writer.open("Source")
    writer.leaf("SourceLevel", "L")
    writer.leaf("LEA", la_code)
    writer.leaf("SoftwareCode", SOFTWARE_CODE)
    writer.leaf("Release", release)
    writer.leaf("SerialNo", 1)
    writer.leaf("DateTime", at.astimezone(LONDON).replace(tzinfo=None, microsecond=0).isoformat())
    writer.close("Source")
    writer.close("Header")
    writer.open("Children")
    yield writer.drain()
    for child_ids in _child_batches(session, year, shut):
        batch = _Batch(session, year, shut, child_ids)
        for child_id in child_ids:
            _child(writer, year, batch, batch.children[child_id])
        yield writer.drain()
    writer.close("Children")
    writer.close("Message")
    writer.xml.endDocument()
    yield writer.drain() + "\n"


def release_of_this_software():
    """This software's version (the header's Release), as installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mash-front-door")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "unreleased"
