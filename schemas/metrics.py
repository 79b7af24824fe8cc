"""Timeliness metrics: the response shape. Definitions: docs/metrics.md (also in README)."""

from marshmallow import Schema, fields, validate

from api.models.decisions import OUTCOMES


class MetricsArgsSchema(Schema):
    from_ = fields.Date(required=True, data_key="from",
                        metadata={"description": "First London date of the period (inclusive)."})
    to = fields.Date(required=True, metadata={
        "description": "London date after the period (exclusive); at most ten years after from."})
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
    received = fields.Integer(metadata={"description": "Contacts received in the period."})
    decided = fields.Integer(metadata={"description": "Of those, with a threshold decision."})
    awaiting_decision = fields.Integer()
    overdue = fields.Integer(metadata={"description": "Awaiting and past decision_due_at now."})
    decided_within_24_hours = fields.Nested(RatioSchema, metadata={
        "description": "First decision within 24 clock hours of receipt; of decided."})
    decided_within_1_working_day = fields.Nested(RatioSchema, metadata={
        "description": "First decision by decision_due_at; of decided."})
    hours_to_first_decision = fields.Nested(PercentilesSchema, metadata={
        "description": "Median and 90th percentile hours from receipt to first decision "
        "(continuous percentiles, two decimals)."})
    outcomes = fields.Dict(keys=fields.String(validate=validate.OneOf(OUTCOMES)),
                           values=fields.Integer(),
                           metadata={"description": "Current decisions by outcome."})
    consent = fields.Dict(keys=fields.String(), values=fields.Integer(),
                          metadata={"description": "Current consent status of contacts received."})
    approved = fields.Nested(RatioSchema, metadata={
        "description": "Current decision signed off by a manager; of decided."})
    feedback_given = fields.Nested(RatioSchema, metadata={
        "description": "Feedback recorded to the referrer; of decided."})


class ReferralFiguresSchema(Schema):
    count = fields.Integer(metadata={
        "description": "Contacts received whose current decision is assessment or strategy_discussion."})
    re_referrals = fields.Nested(RatioSchema, metadata={
        "description": "A child had another referral decided in the 12 months before; of count."})


class MeetingFiguresSchema(Schema):
    convened = fields.Integer()
    held = fields.Integer()
    held_same_day = fields.Nested(RatioSchema, metadata={
        "description": "Held on the London date convened; of held."})
    attendance = fields.Nested(RatioSchema, metadata={
        "description": "Invitations to held meetings attended; of invitations to held meetings."})
    required_left_out_with_reason = fields.Integer()
    minutes_within_1_working_day = fields.Nested(RatioSchema, metadata={
        "description": "Minutes recorded by the end of the next working day; of held."})
    s47_enquiries = fields.Integer()
    icpc_due_in_period = fields.Integer(metadata={
        "description": "ICPC due dates falling in the period, whenever the meeting was convened."})


class DirectionFiguresSchema(Schema):
    requested = fields.Integer()
    accepted = fields.Integer()
    refused = fields.Integer()
    withdrawn = fields.Integer()
    open = fields.Integer()
    overdue = fields.Integer(metadata={"description": "Open and past response_due_at now."})
    acceptance = fields.Nested(RatioSchema, metadata={"description": "Accepted; of accepted + refused."})
    median_working_days_to_response = fields.Float(allow_none=True)


class TransitionFiguresSchema(Schema):
    step_up = fields.Nested(DirectionFiguresSchema)
    step_down = fields.Nested(DirectionFiguresSchema)


class FiguresSchema(Schema):
    contacts = fields.Nested(ContactFiguresSchema)
    referrals = fields.Nested(ReferralFiguresSchema)
    strategy_meetings = fields.Nested(MeetingFiguresSchema)
    transitions = fields.Nested(TransitionFiguresSchema, allow_none=True)


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
