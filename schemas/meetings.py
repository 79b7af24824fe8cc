"""Strategy meetings and their outcomes."""

from marshmallow import Schema, ValidationError, fields, post_dump, validate, validates_schema

from api.vocab import ABUSE_CATEGORIES, MEDICAL_DECISIONS, MEETING_OUTCOMES, MEETING_STATUSES

from .common import (
    Characters, PageArgsSchema, Text, Timestamp, UniqueList, at_most_entries,
)
from .decisions import RATIONALE_HELP, RATIONALE_SAYS


# Bounds on a meeting's lists that no real meeting meets but that stop a flood: a contact has at
# most 30 children (schemas/contacts.py), a MASH works with a few dozen agencies.
MAX_CHILDREN = 30
MAX_AGENCIES = 100
MAX_ACTIONS = 200


class InvitationSchema(Schema):
    agency = Characters(required=True, validate=validate.Length(min=1, max=32))
    invited_at = Timestamp(metadata={"description": "Defaults to convened_at."})


class MeetingCreateSchema(Schema):
    contact_id = fields.UUID(required=True, metadata={
        "description": "The contact whose current decision is strategy_discussion (409 otherwise)."})
    children = UniqueList(fields.UUID(), required=True, min_items=1, max_items=MAX_CHILDREN,
                          metadata={"description": "Ids of the contact's children concerned."})
    convened_at = Timestamp(required=True, metadata={"description": "When the decision to convene was made."})
    scheduled_for = Timestamp(required=True)
    chair = Text(required=True, max_length=200)
    invited = UniqueList(fields.Nested(InvitationSchema), required=True,
                         max_items=MAX_AGENCIES, unique_by="agency")
    not_invited_reasons = fields.Dict(
        keys=Characters(), values=Text(max_length=2_000), load_default=dict,
        validate=at_most_entries(MAX_AGENCIES),
        metadata={"maxProperties": MAX_AGENCIES,
                  "description": f"At most {MAX_AGENCIES} entries: "
                  "{agency code or kind: reason}. Police and health (configurable "
                  "kinds), the referring agency (unless children's social care) and early help "
                  "(when a child is open to early help) must be invited, or a reason given here; "
                  "otherwise 422 naming the agency (`not_invited_reasons.<key>`)."},
    )


class AttendanceSchema(Schema):
    agency = Characters(required=True)
    attended = fields.Boolean(required=True, truthy={True}, falsy={False},
                              metadata={"description": "true or false (JSON booleans only)."})
    # Optional, and served as null when not given: the document says so (nullable), as it says
    # of every field that may be served null.
    name = Text(max_length=200, allow_none=True, metadata={
        "description": "Who attended for the agency; null when not recorded."})
    role = Text(max_length=200, allow_none=True, metadata={
        "description": "Their role; null when not recorded."})


class MedicalExaminationSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(MEDICAL_DECISIONS))
    reason = Text(max_length=5_000, allow_none=True,
                  metadata={"description": "Required when the decision is not_required."})


class ActionSchema(Schema):
    description = Text(required=True, max_length=2_000)
    owner_agency = Characters(required=True)
    due_date = fields.Date(required=True)


class MeetingOutcomeCreateSchema(Schema):
    held_at = Timestamp(required=True, metadata={"description": "Not before convened_at."})
    attendance = UniqueList(fields.Nested(AttendanceSchema), load_default=list,
                            max_items=MAX_AGENCIES, unique_by="agency",
                            metadata={"description": "Only for invited agencies."})
    outcome = fields.String(required=True, validate=validate.OneOf(MEETING_OUTCOMES))
    rationale = Characters(required=True, validate=validate.Length(max=20_000),
                           metadata=RATIONALE_SAYS)
    medical_examination = fields.Nested(MedicalExaminationSchema, required=True)
    actions = UniqueList(fields.Nested(ActionSchema), load_default=list, max_items=MAX_ACTIONS)
    minutes_recorded_at = Timestamp(metadata={"description": "When the minutes were written, if "
                                              "already; otherwise POST .../minutes later."})


class MinutesCreateSchema(Schema):
    minutes_recorded_at = Timestamp(required=True, metadata={"description": "Not before held_at."})


class IcpcChildPlanSchema(Schema):
    child_id = fields.UUID(required=True)
    plan = fields.Boolean(required=True, truthy={True}, falsy={False}, metadata={
        "description": "Whether the conference made the child subject to a child protection plan "
        "(JSON booleans only)."})
    category_of_abuse = fields.String(validate=validate.OneOf(tuple(ABUSE_CATEGORIES)), metadata={
        "description": "With plan true: the plan's category of abuse, a DfE CIN census code ("
        + "; ".join(f"{code} {label}" for code, label in ABUSE_CATEGORIES.items())
        + "). The census return needs it for every plan; not with plan false (422)."})

    @validates_schema
    def _category_with_a_plan(self, data, **_kwargs):
        if "category_of_abuse" in data and not data.get("plan"):
            raise ValidationError("Only with plan true.", "category_of_abuse")


class IcpcCreateSchema(Schema):
    """Either held_on and child_protection_plan, or not_required and reason."""

    held_on = fields.Date(metadata={
        "description": "Either held_on with child_protection_plan, or not_required with reason "
        "(422 naming what is missing or extra). London date the conference was held: not before "
        "that of the meeting's held_at, not after today."})
    child_protection_plan = UniqueList(
        fields.Nested(IcpcChildPlanSchema), max_items=MAX_CHILDREN, unique_by="child_id",
        metadata={"description": "With held_on: one entry for each child of the meeting, exactly."})
    not_required = fields.Boolean(truthy={True}, falsy={False}, metadata={
        "description": "true when no conference is needed: with reason, and without held_on "
        "and child_protection_plan."})
    reason = Text(max_length=5_000, metadata={
        "description": "Why no conference is needed: with not_required, and only with it."})

    @validates_schema
    def held_or_not_required(self, data, **kwargs):
        if data.get("not_required") is not None:
            errors = {}
            if data["not_required"] is not True:
                errors["not_required"] = ["Send true, or leave it out and send held_on."]
            if "reason" not in data:
                errors["reason"] = ["Say why no conference is required."]
            for field in ("held_on", "child_protection_plan"):
                if field in data:
                    errors[field] = ["Not with not_required."]
        else:
            errors = {field: ["Missing data for required field (or send not_required and reason)."]
                      for field in ("held_on", "child_protection_plan") if field not in data}
            if "reason" in data:
                errors["reason"] = ["Only with not_required."]
        if errors:
            raise ValidationError(errors)


class IcpcChildSchema(Schema):
    child_id = fields.UUID()
    child_protection_plan = fields.Boolean()
    category_of_abuse = fields.String(metadata={
        "description": "The plan's category of abuse (CIN census code): present only when the "
        "conference gave one (a plan recorded before it could be given has none)."})

    @post_dump
    def _only_when_given(self, data, **_kwargs):
        if data.get("category_of_abuse") is None:
            data.pop("category_of_abuse", None)
        return data


class IcpcSchema(Schema):
    held_on = fields.Date(allow_none=True)
    within_timescale = fields.Boolean(allow_none=True, metadata={
        "description": "held_on on or before icpc_due_date; null when not required."})
    not_required = fields.Boolean()
    reason = fields.String(allow_none=True)
    children = fields.List(fields.Nested(IcpcChildSchema))


class AttendanceSummarySchema(Schema):
    invited = fields.Integer()
    recorded = fields.Integer()
    attended = fields.Integer()


class MeetingSchema(Schema):
    id = fields.UUID()
    reference = fields.String()
    contact_id = fields.UUID()
    decision_id = fields.UUID()
    status = fields.String(metadata={"description": " or ".join(MEETING_STATUSES)})
    children = fields.List(fields.UUID(), attribute="child_ids")
    convened_at = Timestamp()
    scheduled_for = Timestamp()
    chair = fields.String()
    invited = fields.List(fields.Nested(InvitationSchema), attribute="invitations")
    not_invited_reasons = fields.Dict(keys=fields.String(), values=fields.String())
    required_invitees = fields.List(fields.String(), metadata={
        "description": "Agency kinds or codes that had to be invited or excused."})
    held_at = Timestamp(allow_none=True)
    attendance = fields.List(fields.Nested(AttendanceSchema))
    attendance_summary = fields.Nested(AttendanceSummarySchema)
    outcome = fields.String(allow_none=True)
    rationale = fields.String(allow_none=True)
    medical_examination = fields.Nested(MedicalExaminationSchema, allow_none=True)
    actions = fields.List(fields.Nested(ActionSchema))
    minutes_recorded_at = Timestamp(allow_none=True)
    held_same_day = fields.Boolean(allow_none=True, metadata={
        "description": "London date of held_at equals that of convened_at; null until held."})
    icpc_due_date = fields.Date(allow_none=True, metadata={
        "description": "s47 enquiries only: 15 working days (configurable) after the London date of held_at."})
    minutes_within_1_working_day = fields.Boolean(allow_none=True, metadata={
        "description": "Minutes recorded by the end of the working day after held_at; null until recorded."})
    icpc = fields.Nested(IcpcSchema, allow_none=True, metadata={
        "description": "The initial child protection conference (s47 only), once recorded; null until then."})
    recorded_at = Timestamp()
    recorded_by = fields.String(attribute="recorded_by_sub")


class MeetingListArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(MEETING_STATUSES))
    contact_id = fields.UUID(metadata={"description": "The meetings of this contact only."})
    from_ = Timestamp(data_key="from", metadata={"description": "Convened at or after."})
    to = Timestamp(metadata={"description": "Convened strictly before."})


class RequiredInviteeSchema(Schema):
    key = fields.String(metadata={
        "description": "An agency kind (police, health, early_help) or an agency's code (the referrer): "
        "the key of `not_invited_reasons` when it is left out."})
    is_kind = fields.Boolean(metadata={
        "description": "true: any invited agency of this kind will do; false: this agency itself."})
    description = fields.String(metadata={"description": "Who must be invited, in words."})
    usual_agency = fields.String(allow_none=True, metadata={
        "description": "For a kind: the code of the agency of that kind invited to the most strategy "
        "meetings, a form's starting choice; null for an agency, or when none has been invited yet."})


class RequiredInviteesSchema(Schema):
    contact_id = fields.UUID()
    children = fields.List(fields.UUID(), metadata={
        "description": "The contact's children: the required invitees of a meeting about all of them."})
    required = fields.List(fields.Nested(RequiredInviteeSchema), metadata={
        "description": "Who a strategy meeting on this contact must invite or excuse (POST "
        "/strategy-meetings answers 422 naming `not_invited_reasons.<key>` otherwise): the "
        "configured kinds (police and health by default), the referring agency (unless children's "
        "social care or a member of the public), and early help when a child is open to it."})
