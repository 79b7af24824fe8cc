"""Timeliness metrics: the front door's performance figures (definitions in docs/metrics.md).

Aggregate SQL in the database, a fixed number of queries whatever the size of the data (with
group_by=month the months are buckets of one CASE expression, not one query each). Working-day
facts are stored when records are written, so these queries compare columns.
"""

from datetime import date
from fractions import Fraction

from sqlalchemy import and_, case, func, literal, or_, select, true, tuple_

from ..db import session
from ..errors import RuleViolation
from ..models import (
    Allocation, Assessment, Contact, Decision, IcpcChild, InformationRequest, StrategyMeeting,
    Transition,
)
from ..timescales import now, start_of_london_day
from ..vocab import (
    CONSENT_STATUSES, DIRECTIONS, OUTCOMES, RAG_RATINGS, REFERRAL_OUTCOMES, TRANSITION_RESPONSES,
)

# contacts.rag: each rating, and contacts never rated.
RAG_KEYS = (*RAG_RATINGS, "unrated")

MAX_PERIOD_DAYS = 3660  # ten years


def ratio(count, of):
    count, of = int(count or 0), int(of or 0)
    return {"count": count, "of": of, "percent": round(100 * count / of, 1) if of else None}


def _months(first, last):
    """London months overlapping [first, last): (key, start_date, end_date) clipped to the period."""
    months, day = [], first
    while day < last:
        following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        months.append((f"{day.year:04d}-{day.month:02d}", day, min(following, last)))
        day = following
    return months


class _Grouping:
    """Turns a record's start (or its contact's agency) into the group it counts in."""

    def __init__(self, group_by, first, last):
        self.group_by = group_by
        self.months = _months(first, last) if group_by == "month" else None

    def key(self, instant_column, agency_column=None, dates=False):
        if self.group_by == "source_agency":
            return agency_column
        if self.group_by == "month":
            bound = (lambda d: d) if dates else start_of_london_day
            *earlier, last = self.months
            if not earlier:  # a period inside one month: CASE needs at least one WHEN
                return literal(last[0])
            return case(
                *[(instant_column < bound(end), key) for key, _start, end in earlier],
                else_=literal(last[0]),
            )
        return literal("all")


def _empty_request_figures():
    return {"requested": 0, "answered": 0, "answered_in_time": ratio(0, 0),
            "median_hours_to_answer": None, "open": 0, "overdue": 0, "withdrawn": 0}


def _empty_figures(with_transitions=True):
    return {
        "contacts": {
            "received": 0, "decided": 0, "awaiting_decision": 0, "overdue": 0,
            "decided_within_24_hours": ratio(0, 0), "decided_within_1_working_day": ratio(0, 0),
            "decided_within_rag": ratio(0, 0),
            "hours_to_first_decision": {"median": None, "p90": None},
            "outcomes": dict.fromkeys(OUTCOMES, 0), "consent": dict.fromkeys(CONSENT_STATUSES, 0),
            "rag": dict.fromkeys(RAG_KEYS, 0),
            "approved": ratio(0, 0), "feedback_given": ratio(0, 0),
        },
        "referrals": {"count": 0, "re_referrals": ratio(0, 0)},
        "strategy_meetings": {
            "convened": 0, "held": 0, "held_same_day": ratio(0, 0), "attendance": ratio(0, 0),
            "required_left_out_with_reason": 0, "minutes_within_1_working_day": ratio(0, 0),
            "s47_enquiries": 0, "icpc_due_in_period": 0, "icpcs_held": 0,
            "icpc_within_15_working_days": ratio(0, 0), "children_subject_to_plan": 0,
        },
        "transitions": {
            direction: {
                "requested": 0, "accepted": 0, "refused": 0, "withdrawn": 0, "open": 0,
                "overdue": 0, "acceptance": ratio(0, 0), "median_working_days_to_response": None,
            }
            for direction in DIRECTIONS
        } if with_transitions else None,
        "information_requests": {**_empty_request_figures(), "by_agency": []},
        "assessments": {"started": 0, "completed": 0, "within_45_working_days": ratio(0, 0),
                        "open": 0, "overdue": 0},
        "allocation": {"referrals": 0, "allocated_within_5_working_days": ratio(0, 0),
                       "unallocated_over_5_working_days": 0},
    }


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _percentiles(value, keys, stmt_where, fractions):
    """{key tuple: [value at each fraction]} by linear interpolation (percentile_cont)."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            select(*keys, *[func.percentile_cont(float(f)).within_group(value) for f in fractions])
            .where(*stmt_where).group_by(*keys)
        ).all()
        return {tuple(row[: len(keys)]): list(row[len(keys):]) for row in rows}
    # SQLite has no percentile_cont: rank within each group, fetch the two rows around each
    # fraction's position, and interpolate between them exactly as percentile_cont does.
    ranked = select(
        *[k.label(f"k{i}") for i, k in enumerate(keys)],
        value.label("v"),
        (func.row_number().over(partition_by=keys, order_by=value) - 1).label("i"),
        func.count().over(partition_by=keys).label("n"),
    ).where(*stmt_where).subquery()
    wanted = []
    for f in fractions:
        low = (ranked.c.n - 1) * f.numerator // f.denominator  # floor of the position
        wanted += [ranked.c.i == low, ranked.c.i == low + 1]
    rows = session.execute(
        select(ranked).where(or_(*wanted))
    ).all()
    by_key = {}
    for row in rows:
        by_key.setdefault(tuple(row[: len(keys)]), {})[row.i] = (row.v, row.n)
    result = {}
    for key, points in by_key.items():
        n = next(iter(points.values()))[1]
        values = []
        for f in fractions:
            position = (n - 1) * f
            low = position.numerator // position.denominator
            low_value = points[low][0]
            high_value = points.get(low + 1, points[low])[0]
            values.append(low_value + (high_value - low_value) * float(position - low))
        result[key] = values
    return result


def _rounded(value, places=2):
    return None if value is None else round(float(value), places)


def timeliness(args):
    first, last = args["from"], args["to"]
    if last <= first:
        raise RuleViolation("to", "Must be after from (the period is from inclusive, to exclusive).")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise RuleViolation("to", "The period may be at most ten years.")
    group_by = args.get("group_by")
    grouping = _Grouping(group_by, first, last)
    start, end, current = start_of_london_day(first), start_of_london_day(last), now()
    figures = {}
    discovering = group_by == "source_agency"  # the agencies are those with contacts received

    def group(key):
        if key not in figures:
            figure_set = _empty_figures(with_transitions=group_by != "source_agency")
            if group_by == "source_agency" and not discovering:
                return figure_set  # an agency with no contact in the period has no group
            figures[key] = figure_set
        return figures[key]

    if group_by == "month":
        for key, _s, _e in grouping.months:
            group(key)
    elif group_by is None:
        group("all")

    in_period = and_(Contact.received_at >= start, Contact.received_at < end)
    contact_key = grouping.key(Contact.received_at, Contact.source_agency)
    awaiting = Contact.status == "awaiting_decision"
    decided = Contact.status == "decided"

    # One range of the covering index on contacts (received_at, status, consent_status, ...).
    with_feedback = {}
    n_consent = len(CONSENT_STATUSES)
    for key, received, n_decided, waiting, overdue, fed_back, *by_status in session.execute(
        select(contact_key, func.count(), _count(decided), _count(awaiting),
               _count(and_(awaiting, Contact.decision_due_at < current)),
               _count(and_(decided, Contact.feedback_given_at.is_not(None))),
               *[_count(Contact.consent_status == status) for status in CONSENT_STATUSES],
               *[_count(Contact.rag_rating == rating) for rating in RAG_RATINGS],
               _count(Contact.rag_rating.is_(None)))
        .select_from(Contact).where(in_period).group_by(contact_key)
    ):
        c = group(key)["contacts"]
        c.update(received=received, decided=n_decided, awaiting_decision=waiting, overdue=overdue)
        c["consent"] = dict(zip(CONSENT_STATUSES, by_status[:n_consent], strict=True))
        c["rag"] = dict(zip(RAG_KEYS, by_status[n_consent:], strict=True))
        with_feedback[key] = fed_back

    # Decisions are read by their own copy of the contact's receipt, through partial covering
    # indexes (first decisions; current decisions), never by joining the whole decisions table.
    def decisions_of(partial, *columns, extra_where=()):
        received = Decision.contact_received_at
        where = [received >= start, received < end, partial, *extra_where]
        if group_by == "source_agency":
            key = Contact.source_agency
            where.append(Contact.id == Decision.contact_id)
        else:
            key = grouping.key(received)
        return key, select(key, *columns).select_from(Decision).where(*where), where

    first_decision = Decision.supersedes_id.is_(None)
    hours = Decision.seconds_from_receipt / 3600.0
    fractions = [Fraction(1, 2), Fraction(9, 10)]
    on_postgresql = session.get_bind().dialect.name == "postgresql"
    percentiles = [func.percentile_cont(float(f)).within_group(hours) for f in fractions] \
        if on_postgresql else []
    key, stmt, where = decisions_of(
        first_decision, func.count(), _count(Decision.within_24_hours == true()),
        _count(Decision.within_1_working_day == true()),
        _count(Decision.within_rag_deadline == true()), *percentiles)
    for k, n, within_24, within_day, within_rag, *points in session.execute(stmt.group_by(key)):
        c = group(k)["contacts"]
        c["decided_within_24_hours"] = ratio(within_24, n)
        c["decided_within_1_working_day"] = ratio(within_day, n)
        c["decided_within_rag"] = ratio(within_rag, n)
        if points:
            c["hours_to_first_decision"] = {"median": _rounded(points[0]), "p90": _rounded(points[1])}
    if not on_postgresql:
        for (k,), (median, p90) in _percentiles(hours, [key], where, fractions).items():
            group(k)["contacts"]["hours_to_first_decision"] = {
                "median": _rounded(median), "p90": _rounded(p90)}

    approved, re_referrals, referrals = {}, {}, {}
    key, stmt, _where = decisions_of(
        Decision.superseded_by_id.is_(None), Decision.outcome, func.count(),
        _count(Decision.approved_at.is_not(None)), _count(Decision.re_referral == true()))
    for k, outcome, n, signed_off, repeat in session.execute(stmt.group_by(key, Decision.outcome)):
        group(k)["contacts"]["outcomes"][outcome] = n
        approved[k] = approved.get(k, 0) + signed_off
        if outcome in REFERRAL_OUTCOMES:
            referrals[k] = referrals.get(k, 0) + n
            re_referrals[k] = re_referrals.get(k, 0) + repeat

    discovering = False
    for key, g in figures.items():
        c = g["contacts"]
        c["approved"] = ratio(approved.get(key, 0), c["decided"])
        c["feedback_given"] = ratio(with_feedback.get(key, 0), c["decided"])
        g["referrals"] = {"count": referrals.get(key, 0),
                          "re_referrals": ratio(re_referrals.get(key, 0), referrals.get(key, 0))}

    _meeting_figures(grouping, group, start, end, first, last)
    _request_figures(grouping, group, start, end, current)
    _assessment_figures(grouping, group, start, end, current)
    _allocation_figures(grouping, group, start, end, current)
    if group_by != "source_agency":
        _transition_figures(grouping, group, start, end, current)

    period = {"from": first.isoformat(), "to": last.isoformat()}
    if group_by is None:
        return {"period": period, **figures["all"]}
    order = [k for k, _s, _e in grouping.months] if group_by == "month" else sorted(figures)
    return {"period": period, "group_by": group_by,
            "groups": [{"key": key, **figures[key]} for key in order]}


def _meeting_figures(grouping, group, start, end, first, last):
    by_agency = grouping.group_by == "source_agency"

    def with_agency(stmt):
        # The referring agency is the meeting's contact's: joined only when grouping by it.
        return stmt.join(Contact, Contact.id == StrategyMeeting.contact_id) if by_agency else stmt

    key = grouping.key(StrategyMeeting.convened_at, Contact.source_agency)
    in_period = and_(StrategyMeeting.convened_at >= start, StrategyMeeting.convened_at < end)
    held = StrategyMeeting.status == "held"
    for k, convened, n_held, same_day, minutes, left_out, s47, icpcs, icpcs_on_time, invited, came in session.execute(
        with_agency(select(key, func.count(), _count(held), _count(StrategyMeeting.held_same_day == true()),
               _count(StrategyMeeting.minutes_within_1_working_day == true()),
               func.coalesce(func.sum(StrategyMeeting.required_left_out), 0),
               _count(and_(held, StrategyMeeting.outcome == "s47_enquiry")),
               _count(StrategyMeeting.icpc_held_on.is_not(None)),
               _count(StrategyMeeting.icpc_within_timescale == true()),
               func.coalesce(func.sum(case((held, StrategyMeeting.agencies_invited), else_=0)), 0),
               func.coalesce(func.sum(case((held, StrategyMeeting.agencies_attended), else_=0)), 0))
        .select_from(StrategyMeeting)).where(in_period).group_by(key)
    ):
        m = group(k)["strategy_meetings"]
        m.update(convened=convened, held=n_held, required_left_out_with_reason=left_out,
                 s47_enquiries=s47, icpcs_held=icpcs)
        m["held_same_day"] = ratio(same_day, n_held)
        m["minutes_within_1_working_day"] = ratio(minutes, n_held)
        m["icpc_within_15_working_days"] = ratio(icpcs_on_time, icpcs)
        m["attendance"] = ratio(came, invited)

    for k, children in session.execute(
        with_agency(select(key, func.count()).select_from(IcpcChild)
                    .join(StrategyMeeting, StrategyMeeting.id == IcpcChild.meeting_id))
        .where(in_period, IcpcChild.child_protection_plan == true()).group_by(key)
    ):
        group(k)["strategy_meetings"]["children_subject_to_plan"] = children

    icpc_key = grouping.key(StrategyMeeting.icpc_due_date, Contact.source_agency, dates=True)
    for k, due in session.execute(
        with_agency(select(icpc_key, func.count()).select_from(StrategyMeeting))
        .where(StrategyMeeting.icpc_due_date >= first, StrategyMeeting.icpc_due_date < last)
        .group_by(icpc_key)
    ):
        group(k)["strategy_meetings"]["icpc_due_in_period"] = due


def _transition_figures(grouping, group, start, end, current):
    key = grouping.key(Transition.requested_at)
    in_period = and_(Transition.requested_at >= start, Transition.requested_at < end)
    status = Transition.status
    for k, direction, requested, accepted, refused, withdrawn, still_open, overdue in session.execute(
        select(key, Transition.direction, func.count(), _count(status == "accepted"),
               _count(status == "refused"), _count(status == "withdrawn"),
               _count(status == "requested"),
               _count(and_(status == "requested", Transition.response_due_at < current)))
        .select_from(Transition).where(in_period).group_by(key, Transition.direction)
    ):
        group(k)["transitions"][direction].update(
            requested=requested, accepted=accepted, refused=refused, withdrawn=withdrawn,
            open=still_open, overdue=overdue, acceptance=ratio(accepted, accepted + refused),
        )
    answered = Transition.working_days_to_response.is_not(None)
    for (k, direction), (median,) in _percentiles(
        Transition.working_days_to_response * 1.0, [key, Transition.direction],
        [in_period, answered, status.in_(TRANSITION_RESPONSES)], [Fraction(1, 2)],
    ).items():
        group(k)["transitions"][direction]["median_working_days_to_response"] = _rounded(median)


def _request_figures(grouping, group, start, end, current):
    """The information requests' scorecard: per agency asked, and for all of them, from one range
    of ix_information_requests_figures (the contacts table joined only when grouping by the
    contact's source agency). On PostgreSQL one statement: the counts and the medians of each
    agency and of the whole (GROUPING SETS; the median skips the unanswered, whose
    seconds_to_response is null). SQLite has neither: the counts, then its percentile query."""
    by_source = grouping.group_by == "source_agency"
    key = grouping.key(InformationRequest.requested_at, Contact.source_agency)
    agency, status = InformationRequest.agency, InformationRequest.status
    in_period = [InformationRequest.requested_at >= start, InformationRequest.requested_at < end]
    if by_source:
        in_period.append(Contact.id == InformationRequest.contact_id)
    hours = InformationRequest.seconds_to_response / 3600.0
    on_postgresql = session.get_bind().dialect.name == "postgresql"
    counts = [func.count(), _count(status == "answered"),
              _count(InformationRequest.within_deadline == true()), _count(status == "open"),
              _count(and_(status == "open", InformationRequest.due_at < current)),
              _count(status == "withdrawn")]
    if on_postgresql:
        stmt = select(key, agency, *counts, func.percentile_cont(0.5).within_group(hours)) \
            .group_by(func.grouping_sets(tuple_(key, agency), tuple_(key)))
    else:
        stmt = select(key, agency, *counts, literal(None)).group_by(key, agency)
    found = {}  # group key -> {agency code, or None for all of them: figures}
    for k, asked, requested, answered, in_time, still_open, overdue, withdrawn, median in \
            session.execute(stmt.select_from(InformationRequest).where(*in_period)):
        found.setdefault(k, {})[asked] = {
            "requested": requested, "answered": answered,
            "answered_in_time": ratio(in_time, answered), "median_hours_to_answer": median,
            "open": still_open, "overdue": overdue, "withdrawn": withdrawn}
    if not found:
        return
    if not on_postgresql:
        answered_in_period = [*in_period, status == "answered"]
        for (k, code), (median,) in _percentiles(
                hours, [key, agency], answered_in_period, [Fraction(1, 2)]).items():
            found[k][code]["median_hours_to_answer"] = median
        for k, agencies in found.items():
            agencies[None] = {name: sum(a[name] for a in agencies.values())
                              for name in ("requested", "answered", "open", "overdue", "withdrawn")}
            agencies[None]["answered_in_time"] = ratio(
                sum(a["answered_in_time"]["count"] for c, a in agencies.items() if c is not None),
                agencies[None]["answered"])
        for (k,), (median,) in _percentiles(hours, [key], answered_in_period, [Fraction(1, 2)]).items():
            found[k][None]["median_hours_to_answer"] = median
    for k, agencies in found.items():
        whole = agencies.pop(None)
        whole["median_hours_to_answer"] = _rounded(whole.get("median_hours_to_answer"))
        for figures in agencies.values():
            figures["median_hours_to_answer"] = _rounded(figures["median_hours_to_answer"])
        group(k)["information_requests"] = {
            **whole, "by_agency": [{"agency": code, **agencies[code]} for code in sorted(agencies)]}


def _assessment_figures(grouping, group, start, end, current):
    """Single assessments started in the period (by their contact's source agency, if grouped
    so): how many, completed, authorised within 45 working days of the referral (of those
    completed), still open, and open past their due date now."""
    key = grouping.key(Assessment.started_at, Contact.source_agency)
    where = [Assessment.started_at >= start, Assessment.started_at < end]
    if grouping.group_by == "source_agency":
        where.append(Contact.id == Assessment.contact_id)
    status = Assessment.status
    for k, started, completed, within, still_open, overdue in session.execute(
        select(key, func.count(), _count(status == "completed"),
               _count(Assessment.within_45_working_days == true()), _count(status == "open"),
               _count(and_(status == "open", Assessment.due_at < current)))
        .select_from(Assessment).where(*where).group_by(key)
    ):
        group(k)["assessments"] = {
            "started": started, "completed": completed,
            "within_45_working_days": ratio(within, completed), "open": still_open,
            "overdue": overdue}


def _allocation_figures(grouping, group, start, end, current):
    """Referrals of the contacts received in the period (as `referrals.count` counts them) that
    have an allocation deadline (decided from revision 0021 on): allocated by it, and
    unallocated for more than 5 working days (first allocated after it, or not yet and it has
    passed). The first allocation is one index look-up per referral (ix_allocations_contact_id)."""
    first_allocated = (select(func.min(Allocation.allocated_at))
                       .where(Allocation.contact_id == Decision.contact_id)
                       .correlate(Decision).scalar_subquery())
    received = Decision.contact_received_at
    where = [received >= start, received < end, Decision.superseded_by_id.is_(None),
             Decision.outcome.in_(REFERRAL_OUTCOMES), Decision.allocation_due_at.is_not(None)]
    if grouping.group_by == "source_agency":
        key = Contact.source_agency
        where.append(Contact.id == Decision.contact_id)
    else:
        key = grouping.key(received)
    rows = select(key.label("k"), Decision.allocation_due_at.label("due"),
                  first_allocated.label("first")).select_from(Decision).where(*where).subquery()
    on_time = and_(rows.c.first.is_not(None), rows.c.first <= rows.c.due)
    late = or_(rows.c.first > rows.c.due, and_(rows.c.first.is_(None), rows.c.due < current))
    for k, referrals, in_time, over in session.execute(
        select(rows.c.k, func.count(), _count(on_time), _count(late)).group_by(rows.c.k)
    ):
        group(k)["allocation"] = {
            "referrals": referrals, "allocated_within_5_working_days": ratio(in_time, referrals),
            "unallocated_over_5_working_days": over}
