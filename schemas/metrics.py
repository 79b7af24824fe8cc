"""Timeliness metrics: the response shape. Definitions: docs/metrics.md (also in README)."""

from marshmallow import Schema, fields, validate

from api.vocab import OUTCOMES

from .common import Day

# The definitions, word for word as in the README (a test keeps the two the same).
DEFINITIONS = {
    'contacts.received': (
        'Contacts received in the period (by received_at).'
    ),
    'contacts.decided': (
        'Contacts received in the period that have a threshold decision.'
    ),
    'contacts.awaiting_decision': (
        'Contacts received in the period without a threshold decision.'
    ),
    'contacts.overdue': (
        'Contacts awaiting a decision and past their decision_due_at now.'
    ),
    'contacts.decided_within_24_hours': (
        'Contacts whose first decision (the one that superseded nothing) came within 24 clock hours of received_at; of decided.'
    ),
    'contacts.decided_within_1_working_day': (
        'Contacts whose first decision came by the statutory deadline (the end of the first working day after the London date of receipt), whatever their RAG rating; of decided.'
    ),
    'contacts.decided_within_rag': (
        'Contacts whose first decision came by the decision_due_at their RAG rating set (red 4 clock hours after received_at, amber 1 working day, green 3 working days, by default); unrated contacts count against the statutory deadline; of decided.'
    ),
    'contacts.hours_to_first_decision': (
        'Median and 90th percentile of the hours from received_at to the first decision, over decided contacts (continuous percentiles, as percentile_cont, two decimal places; null when none).'
    ),
    'contacts.outcomes': (
        'Current (not superseded) decisions by outcome; every outcome is listed.'
    ),
    'contacts.consent': (
        'Contacts received in the period by current consent status; every status is listed.'
    ),
    'contacts.rag': (
        'Contacts received in the period by current RAG rating (red, amber, green) and unrated.'
    ),
    'contacts.approved': (
        'Decided contacts whose current decision a manager signed off; of decided.'
    ),
    'contacts.feedback_given': (
        'Decided contacts with feedback to the referrer recorded; of decided.'
    ),
    'referrals.count': (
        'Contacts received in the period whose current decision is assessment or strategy_discussion.'
    ),
    'referrals.re_referrals': (
        'Referrals flagged when decided because a child of the referral had another referral (another contact whose current decision was assessment or strategy_discussion) decided in the 12 months before, from the same London date a year earlier; of count.'
    ),
    'strategy_meetings.convened': (
        'Strategy meetings convened in the period (by convened_at).'
    ),
    'strategy_meetings.held': (
        'Meetings convened in the period whose outcome is recorded.'
    ),
    'strategy_meetings.held_same_day': (
        'Held meetings held on the London date they were convened; of held.'
    ),
    'strategy_meetings.attendance': (
        'Invitations to held meetings recorded as attended; of invitations to held meetings.'
    ),
    'strategy_meetings.required_left_out_with_reason': (
        'Required agencies left out with a reason recorded, summed over the meetings.'
    ),
    'strategy_meetings.minutes_within_1_working_day': (
        'Held meetings whose minutes were recorded by the end of the first working day after the London date of held_at; of held (minutes not yet recorded count as not within).'
    ),
    'strategy_meetings.s47_enquiries': (
        'Held meetings whose outcome is s47_enquiry.'
    ),
    'strategy_meetings.icpc_due_in_period': (
        's47 meetings whose ICPC due date (15 working days after the London date of held_at) falls in the period, whenever they were convened.'
    ),
    'strategy_meetings.icpcs_held': (
        'Meetings convened in the period whose initial child protection conference (ICPC) is recorded as held.'
    ),
    'strategy_meetings.icpc_within_15_working_days': (
        'ICPCs held on or before the ICPC due date (15 working days after the London date of held_at); of icpcs_held.'
    ),
    'strategy_meetings.children_subject_to_plan': (
        'Children made subject to a child protection plan at those ICPCs.'
    ),
    'transitions.requested': (
        'Requests made in the period (by requested_at), for the direction.'
    ),
    'transitions.accepted': (
        'Of those, accepted.'
    ),
    'transitions.refused': (
        'Of those, refused.'
    ),
    'transitions.withdrawn': (
        'Of those, withdrawn.'
    ),
    'transitions.open': (
        'Of those, still awaiting a response.'
    ),
    'transitions.overdue': (
        'Of those, still awaiting a response and past response_due_at now.'
    ),
    'transitions.acceptance': (
        'Accepted; of accepted and refused.'
    ),
    'transitions.median_working_days_to_response': (
        'Median working days from the London date of the request to that of the response, over accepted and refused requests (0 when answered the same day); null when none.'
    ),
    'information_requests.requested': (
        'Information requests asked of partner agencies in the period (by requested_at).'
    ),
    'information_requests.answered': (
        'Of those, answered by the agency.'
    ),
    'information_requests.answered_in_time': (
        'Answered requests whose answer (responded_at) came at or before due_at, the deadline the contact\'s RAG rating set when asked; of answered.'
    ),
    'information_requests.median_hours_to_answer': (
        'Median clock hours from requested_at to responded_at, over answered requests (continuous, as percentile_cont, two decimal places; null when none).'
    ),
    'information_requests.open': (
        'Of those, still awaiting the agency\'s answer.'
    ),
    'information_requests.overdue': (
        'Of those, still awaiting the agency\'s answer and past due_at now.'
    ),
    'information_requests.withdrawn': (
        'Of those, withdrawn by staff or by a threshold decision made without them.'
    ),
    'information_requests.by_agency': (
        'The same figures for each agency asked in the period (agency: its code), ordered by code; agencies not asked are not listed.'
    ),
    'assessments.started': (
        'Single assessments (s17) started in the period (by started_at).'
    ),
    'assessments.completed': (
        'Of those, completed: authorised by a manager.'
    ),
    'assessments.within_45_working_days': (
        "Completed assessments authorised at or before the end of the 45th working day after the London date of the referral (its current decision's decided_at when the assessment started); of completed."
    ),
    'assessments.open': (
        'Of those, not yet completed.'
    ),
    'assessments.overdue': (
        'Of those, not yet completed and past their due date (due_at) now.'
    ),
    'allocation.referrals': (
        'Referrals of the contacts received in the period (current decision assessment or strategy_discussion) with an allocation deadline: the end of the 5th working day after the London date of the decision (referrals decided before revision 0021 have none and are not counted).'
    ),
    'allocation.allocated_within_5_working_days': (
        'Of those, first allocated to a team and a worker (POST /contacts/{id}/allocation) by the deadline; of referrals.'
    ),
    'allocation.unallocated_over_5_working_days': (
        'Of those, unallocated for more than 5 working days: first allocated after the deadline, or not yet allocated and the deadline has passed now (PI5).'
    ),
}


def _defined(name):
    return {"description": DEFINITIONS[name]}


class MetricsArgsSchema(Schema):
    from_ = Day(required=True, data_key="from",
                        metadata={"description": "First London date of the period (inclusive)."})
    to = Day(required=True, metadata={
        "description": "London date after the period (exclusive): must be after `from`, and "
        "at most ten years after it."})
    group_by = fields.String(validate=validate.OneOf(("month", "source_agency")), metadata={
        "description": "month: one group per London month overlapping the period (empty months "
        "as zeros); source_agency: one group per agency with contacts received in the period "
        "(transitions are null there: they belong to a child, not a referrer)."})


class RatioSchema(Schema):
    count = fields.Integer()
    of = fields.Integer()
    percent = fields.Float(allow_none=True, metadata={
        "description": "100 x count / of, one decimal place; null when of is 0."})


class PercentilesSchema(Schema):
    median = fields.Float(allow_none=True)
    p90 = fields.Float(allow_none=True)


class ContactFiguresSchema(Schema):
    received = fields.Integer(metadata=_defined("contacts.received"))
    decided = fields.Integer(metadata=_defined("contacts.decided"))
    awaiting_decision = fields.Integer(metadata=_defined("contacts.awaiting_decision"))
    overdue = fields.Integer(metadata=_defined("contacts.overdue"))
    decided_within_24_hours = fields.Nested(
        RatioSchema, metadata=_defined("contacts.decided_within_24_hours"))
    decided_within_1_working_day = fields.Nested(
        RatioSchema, metadata=_defined("contacts.decided_within_1_working_day"))
    decided_within_rag = fields.Nested(
        RatioSchema, metadata=_defined("contacts.decided_within_rag"))
    hours_to_first_decision = fields.Nested(
        PercentilesSchema, metadata=_defined("contacts.hours_to_first_decision"))
    outcomes = fields.Dict(keys=fields.String(validate=validate.OneOf(OUTCOMES)),
                           values=fields.Integer(), metadata=_defined("contacts.outcomes"))
    consent = fields.Dict(keys=fields.String(), values=fields.Integer(),
                          metadata=_defined("contacts.consent"))
    rag = fields.Dict(keys=fields.String(validate=validate.OneOf(("red", "amber", "green", "unrated"))),
                      values=fields.Integer(), metadata=_defined("contacts.rag"))
    approved = fields.Nested(RatioSchema, metadata=_defined("contacts.approved"))
    feedback_given = fields.Nested(RatioSchema, metadata=_defined("contacts.feedback_given"))


class ReferralFiguresSchema(Schema):
    count = fields.Integer(metadata=_defined("referrals.count"))
    re_referrals = fields.Nested(RatioSchema, metadata=_defined("referrals.re_referrals"))


class MeetingFiguresSchema(Schema):
    convened = fields.Integer(metadata=_defined("strategy_meetings.convened"))
    held = fields.Integer(metadata=_defined("strategy_meetings.held"))
    held_same_day = fields.Nested(RatioSchema, metadata=_defined("strategy_meetings.held_same_day"))
    attendance = fields.Nested(RatioSchema, metadata=_defined("strategy_meetings.attendance"))
    required_left_out_with_reason = fields.Integer(
        metadata=_defined("strategy_meetings.required_left_out_with_reason"))
    minutes_within_1_working_day = fields.Nested(
        RatioSchema, metadata=_defined("strategy_meetings.minutes_within_1_working_day"))
    s47_enquiries = fields.Integer(metadata=_defined("strategy_meetings.s47_enquiries"))
    icpc_due_in_period = fields.Integer(metadata=_defined("strategy_meetings.icpc_due_in_period"))
    icpcs_held = fields.Integer(metadata=_defined("strategy_meetings.icpcs_held"))
    icpc_within_15_working_days = fields.Nested(
        RatioSchema, metadata=_defined("strategy_meetings.icpc_within_15_working_days"))
    children_subject_to_plan = fields.Integer(
        metadata=_defined("strategy_meetings.children_subject_to_plan"))


class DirectionFiguresSchema(Schema):
    requested = fields.Integer(metadata=_defined("transitions.requested"))
    accepted = fields.Integer(metadata=_defined("transitions.accepted"))
    refused = fields.Integer(metadata=_defined("transitions.refused"))
    withdrawn = fields.Integer(metadata=_defined("transitions.withdrawn"))
    open = fields.Integer(metadata=_defined("transitions.open"))
    overdue = fields.Integer(metadata=_defined("transitions.overdue"))
    acceptance = fields.Nested(RatioSchema, metadata=_defined("transitions.acceptance"))
    median_working_days_to_response = fields.Float(
        allow_none=True, metadata=_defined("transitions.median_working_days_to_response"))


class TransitionFiguresSchema(Schema):
    step_up = fields.Nested(DirectionFiguresSchema)
    step_down = fields.Nested(DirectionFiguresSchema)


class RequestFiguresSchema(Schema):
    requested = fields.Integer(metadata=_defined("information_requests.requested"))
    answered = fields.Integer(metadata=_defined("information_requests.answered"))
    answered_in_time = fields.Nested(
        RatioSchema, metadata=_defined("information_requests.answered_in_time"))
    median_hours_to_answer = fields.Float(
        allow_none=True, metadata=_defined("information_requests.median_hours_to_answer"))
    open = fields.Integer(metadata=_defined("information_requests.open"))
    overdue = fields.Integer(metadata=_defined("information_requests.overdue"))
    withdrawn = fields.Integer(metadata=_defined("information_requests.withdrawn"))


class AgencyRequestFiguresSchema(RequestFiguresSchema):
    agency = fields.String(metadata={"description": "The agency asked (its code: GET /agencies)."})


class InformationRequestFiguresSchema(RequestFiguresSchema):
    by_agency = fields.List(fields.Nested(AgencyRequestFiguresSchema),
                            metadata=_defined("information_requests.by_agency"))


class AssessmentFiguresSchema(Schema):
    started = fields.Integer(metadata=_defined("assessments.started"))
    completed = fields.Integer(metadata=_defined("assessments.completed"))
    within_45_working_days = fields.Nested(
        RatioSchema, metadata=_defined("assessments.within_45_working_days"))
    open = fields.Integer(metadata=_defined("assessments.open"))
    overdue = fields.Integer(metadata=_defined("assessments.overdue"))


class AllocationFiguresSchema(Schema):
    referrals = fields.Integer(metadata=_defined("allocation.referrals"))
    allocated_within_5_working_days = fields.Nested(
        RatioSchema, metadata=_defined("allocation.allocated_within_5_working_days"))
    unallocated_over_5_working_days = fields.Integer(
        metadata=_defined("allocation.unallocated_over_5_working_days"))


class FiguresSchema(Schema):
    contacts = fields.Nested(ContactFiguresSchema)
    referrals = fields.Nested(ReferralFiguresSchema)
    strategy_meetings = fields.Nested(MeetingFiguresSchema)
    transitions = fields.Nested(TransitionFiguresSchema, allow_none=True)
    information_requests = fields.Nested(InformationRequestFiguresSchema, metadata={"description": (
        "The information requests' scorecard: requests asked of partner agencies in the period "
        "(by requested_at), for all agencies and per agency asked. With group_by=source_agency, "
        "under the source agency of the request's contact.")})
    assessments = fields.Nested(AssessmentFiguresSchema, metadata={"description": (
        "Single assessments started in the period (with group_by=source_agency, under the "
        "source agency of their referral's contact).")})
    allocation = fields.Nested(AllocationFiguresSchema, metadata={"description": (
        "Allocation of the referrals of the contacts received in the period.")})


GroupSchema = Schema.from_dict(
    {"key": fields.String(metadata={"description": "YYYY-MM, or the agency code."}),
     **FiguresSchema._declared_fields},
    name="MetricsGroup",
)


class PeriodSchema(Schema):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()


TimelinessSchema = Schema.from_dict(
    {"period": fields.Nested(PeriodSchema),
     "group_by": fields.String(),
     "groups": fields.List(fields.Nested(GroupSchema)),
     **FiguresSchema._declared_fields},
    name="Timeliness",
)
TimelinessSchema.__doc__ = (
    "Without group_by: period and the figures; with it: period, group_by and groups (each with "
    "its key and the same figures)."
)
