"""Contacts: what a partner or practitioner posts, and what comes back."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.vocab import (
    CHANNELS, CONCERN_CATEGORIES, CONSENT_STATUSES, CONTACT_STATUSES, ETHNICITIES, MATCH_EVIDENCE,
    MATCH_STATUSES, RAG_RATINGS, SEXES, nhs_number_is_valid,
)

from .assessments import AllocationRecordSchema, AllocationSchema, ClosureSchema
from .common import NOT_BLANK, Characters, PageArgsSchema, Text, Timestamp, UniqueList
from .information_requests import InformationRequestSchema

# How GET /contacts may be ordered (api/domain/contacts.py LIST_ORDERS says by what).
CONTACT_ORDERS = ("received", "due")


class NHSNumber(fields.String):
    """Ten digits (spaces allowed as written on letters), passing the modulus 11 check: its
    pattern says the digits, its format (`nhs-number`) and description the check digit."""

    def __init__(self, **kwargs):
        metadata = dict(kwargs.pop("metadata", {}))
        # Ten of 0-9, with spaces or hyphens anywhere (both are dropped before the check).
        metadata.setdefault("pattern", r"^[ -]*([0-9][ -]*){10}$")
        metadata.setdefault("format", "nhs-number")
        super().__init__(metadata=metadata, **kwargs)

    default_error_messages = {"nhs": "Not a valid NHS number (ten digits passing the modulus 11 check)."}

    def _deserialize(self, value, attr, data, **kwargs):
        digits = super()._deserialize(value, attr, data, **kwargs).replace(" ", "").replace("-", "")
        if not nhs_number_is_valid(digits):
            raise self.make_error("nhs")
        return digits


class ReferrerSchema(Schema):
    name = Text(max_length=200)
    role = Text(max_length=200)
    phone = Text(max_length=40)
    email = fields.Email(validate=validate.Length(max=254))


class ChildInSchema(Schema):
    given_name = Text(required=True, max_length=100)
    family_name = Text(required=True, max_length=100)
    date_of_birth = fields.Date(metadata={
        "description": "Give this or expected_date_of_birth, exactly one of them."})
    expected_date_of_birth = fields.Date(
        metadata={"description": "For an unborn child, instead of date_of_birth (not both)."}
    )
    sex = fields.String(load_default="unknown", validate=validate.OneOf(SEXES))
    ethnicity = fields.String(validate=validate.OneOf(ETHNICITIES), metadata={
        "description": "The DfE Children in Need census ethnicity code (WBRI, WIRI, WIRT, WOTH, "
                       "WROM, MWBC, MWBA, MWAS, MOTH, AIND, APKN, ABAN, AOTH, BCRB, BAFR, BOTH, "
                       "CHNE, OOTH, REFU, NOBT). Optional; kept on the contact as given (a "
                       "child record already held is not changed by it)."})
    nhs_number = NHSNumber(
        metadata={"description": "Ten digits 0-9 (spaces or hyphens between them are ignored), "
                  "the last the modulus 11 check digit of the nine before it. With the same "
                  "date_of_birth it links the contact to the council's record of the child; "
                  "it never changes that record. Kept on the contact as given."}
    )
    local_child_id = Text(
        max_length=64,
        metadata={"description": "The council's own child id, if the referrer knows it. Kept on "
                  "the contact as given; it never links the contact by itself, nor changes a "
                  "child record (staff review it)."},
    )

    @validates_schema
    def one_date_of_birth(self, data, **kwargs):
        born, expected = data.get("date_of_birth"), data.get("expected_date_of_birth")
        if born and expected:
            raise ValidationError(
                "Give date_of_birth or expected_date_of_birth, not both.", "date_of_birth"
            )
        if not born and not expected:
            raise ValidationError(
                "Give date_of_birth, or expected_date_of_birth for an unborn child.",
                "date_of_birth",
            )


class ConcernsSchema(Schema):
    categories = UniqueList(
        fields.String(validate=validate.OneOf(CONCERN_CATEGORIES)), load_default=list,
        max_items=len(CONCERN_CATEGORIES),
    )
    summary = Text(required=True, max_length=20_000)


class ConsentInSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(CONSENT_STATUSES))
    given_by = Text(max_length=200, metadata={"description": "Who gave, refused or was asked."})
    reason = Text(
        max_length=5_000,
        metadata={"description": "Required unless status is `given` (otherwise 422 naming "
                  "reason): why consent was not given, "
                  "not sought, or was overridden."},
    )

    @validates_schema
    def reason_unless_given(self, data, **kwargs):
        if data.get("status") not in (None, "given") and not data.get("reason"):
            raise ValidationError(f"A reason is required when consent is {data['status']}.", "reason")


class ContactCreateSchema(Schema):
    received_at = Timestamp(
        required=True,
        metadata={"description": "When the front door received it. Not in the future (a small "
                  "clock skew is allowed), not before any child's date of birth."},
    )
    source_agency = Characters(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "Agency code (see GET /agencies). An `agency` client may only "
                  "give its own; another code is a 403."},
    )
    source_reference = Text(
        max_length=64, metadata={"description": "The referring agency's own reference, if any."}
    )
    referrer = fields.Nested(ReferrerSchema)
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    children = UniqueList(fields.Nested(ChildInSchema), required=True, min_items=1, max_items=30)
    concerns = fields.Nested(ConcernsSchema, required=True)
    consent = fields.Nested(ConsentInSchema, required=True)

    @validates_schema
    def each_child_once(self, data, **kwargs):
        seen = {}
        for index, child in enumerate(data.get("children") or []):
            for key in ("nhs_number", "local_child_id"):
                value = child.get(key)
                if value and (key, value) in seen:
                    raise ValidationError(
                        f"The same child appears twice (as children[{seen[(key, value)]}]).",
                        f"children[{index}].{key}",
                    )
                if value:
                    seen[(key, value)] = index


class ChildSchema(Schema):
    """A council child record."""

    id = fields.UUID()
    reference = fields.String()
    given_name = fields.String()
    family_name = fields.String()
    date_of_birth = fields.Date(allow_none=True)
    expected_date_of_birth = fields.Date(allow_none=True)
    sex = fields.String()
    ethnicity = fields.String(allow_none=True, metadata={
        "description": "DfE CIN census ethnicity code, or null when not recorded."})
    nhs_number = fields.String(allow_none=True)
    local_child_id = fields.String(allow_none=True)
    disability = fields.Boolean(allow_none=True, metadata={
        "description": "Whether the child has a disability (null: not known). Set with POST "
                       "/children/{id}/disability."})
    disabilities = fields.List(fields.String(), allow_none=True, metadata={
        "description": "With disability true, which: DfE CIN census Disability codes."})
    merged_into = fields.UUID(allow_none=True, metadata={
        "description": "Null, or the record this duplicate was merged into (POST "
        "/children/{id}/merge). A merged record is shown only in search results: read it and "
        "it answers 404 with `merged_into` and a `Location` naming the record it now is."})


class ChildAsGivenSchema(Schema):
    """The child as the contact's referrer gave them, kept as given."""

    given_name = fields.String()
    family_name = fields.String()
    date_of_birth = fields.Date()
    expected_date_of_birth = fields.Date()
    sex = fields.String()
    ethnicity = fields.String()
    nhs_number = fields.String()
    local_child_id = fields.String()


class PossibleMatchSchema(Schema):
    """A council child record that may be a contact's child, on evidence weaker than a valid NHS
    number with the same date of birth. Staff only."""

    contact_id = fields.UUID()
    position = fields.Integer(metadata={
        "description": "The contact's child it is about: `n` of POST "
        "/contacts/{contact_id}/children/{n}/link (0 the first child)."})
    child_id = fields.UUID(metadata={
        "description": "The record that child of the contact is linked to now."})
    candidate = fields.Nested(ChildSchema, metadata={"description": "The record it may be."})
    evidence = fields.List(fields.String(), metadata={
        "description": "What points at the candidate, one or more of: "
        + ", ".join(MATCH_EVIDENCE) + " (the NHS number given is the candidate's but the date "
        "of birth is not; the local child id given is the candidate's; the same given and "
        "family names, regardless of case, and date of birth)."})
    status = fields.String(metadata={
        "description": " | ".join(MATCH_STATUSES) + ": open until a practitioner links the "
        "child (this candidate confirmed, any other rejected) or rejects its matches."})
    found_at = Timestamp()
    decided_at = Timestamp(allow_none=True)
    decided_by = fields.String(allow_none=True)


class ContactChildSchema(ChildSchema):
    """One child of a contact."""

    as_given = fields.Nested(ChildAsGivenSchema, metadata={
        "description": "Staff only: the child as this contact's referrer gave them."})
    possible_matches = fields.List(fields.Nested(PossibleMatchSchema), metadata={
        "description": "Staff only: the records the details given may also be, oldest first, "
        "with where each stands."})


class ChildLinkSchema(Schema):
    child = fields.UUID(required=True, allow_none=True, metadata={
        "description": "The child record this child of the contact is (a possible match "
        "confirmed, or any record found by GET /children); the entry is linked to it, that "
        "match confirmed and the other open ones rejected. If the record the entry leaves is "
        "then named by nothing (typically the one made for it from the details given), it is "
        "merged into this one (undo with POST /children/{id}/unmerge). null: reject every "
        "open possible match and keep the link. A record merged into another is refused (422): "
        "link to the one it was merged into."})
    reason = Text(required=True, max_length=5_000, metadata={
        "description": "Why: shown in the contact's history and the children's chronologies."})


class RagInSchema(Schema):
    """A RAG rating for a contact awaiting its decision (staff only; 409 once it is decided)."""

    rating = fields.String(required=True, validate=validate.OneOf(RAG_RATINGS), metadata={
        "description": "How fast the contact must be decided; it sets decision_due_at from the "
        "contact's received_at. Defaults (each configurable): red, 4 clock hours (immediate "
        "risk); amber, the end of the first working day (the statutory deadline); green, the "
        "end of the third working day. A new rating replaces the current one and is kept with "
        "the earlier ones."})
    reason = Characters(required=True, validate=validate.Length(max=5_000), metadata={
        "description": "Why this rating: required, at least 20 characters once trimmed, and not "
        "a placeholder (n/a, see notes, tbc and the like), as a decision's rationale; otherwise "
        "422 naming reason.", "minLength": 20, "pattern": NOT_BLANK})


class RagSchema(Schema):
    """A RAG rating as given."""

    rating = fields.String(metadata={"description": " | ".join(RAG_RATINGS)})
    reason = fields.String()
    by = fields.String(metadata={"description": "Who rated it (the account's name)."})
    at = Timestamp(metadata={"description": "When it was rated."})


class ConsentSchema(Schema):
    status = fields.String()
    given_by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class ConsentRecordSchema(ConsentSchema):
    recorded_at = Timestamp()
    recorded_by = fields.String(attribute="recorded_by_sub")


class ContactSchema(Schema):
    """A contact. An `agency` client sees only what it sent, the status, decision_due_at, the
    current outcome with its time, and the feedback (no consent history, no RAG rating, no
    recorded_by)."""

    id = fields.UUID()
    reference = fields.String(metadata={"description": "Human reference, e.g. C-2026-000123."})
    status = fields.String(metadata={"description": " or ".join(CONTACT_STATUSES)})
    received_at = Timestamp()
    recorded_at = Timestamp()
    decision_due_at = Timestamp(
        metadata={"description": "When the contact must be decided, set by its RAG rating: red, "
                  "received_at plus the configured clock hours (default 4); amber and green, "
                  "the end (23:59:59.999999 London time, in UTC) of the configured number of "
                  "working days (defaults 1 and 3) after the London date of receipt. Unrated: "
                  "the statutory deadline, the end of the configured number of working days "
                  "(default 1) after it. Weekends and England bank holidays excluded."}
    )
    source_agency = fields.String()
    source_reference = fields.String(allow_none=True)
    referrer = fields.Nested(ReferrerSchema, allow_none=True)
    channel = fields.String(allow_none=True)
    children = fields.List(fields.Nested(ContactChildSchema), metadata={"description": (
        "The contact's children, in the order given. Staff see for each the council child "
        "record it is linked to, the details `as_given` and its `possible_matches`. The "
        "referring `agency` sees each child exactly as it sent it, with `id` the record the "
        "child was linked to when the contact was recorded: nothing in its answer (nor in an "
        "error) depends on what the council holds about other children, and a link made later "
        "by a practitioner or a merge does not change it. A child is linked to an existing "
        "record only when the NHS number and date of birth given are both that record's; "
        "otherwise a new record is made from the details given, and any record the details "
        "may also be (the NHS number with another date of birth, the local child id, the same "
        "names and date of birth) becomes a possible match for staff to confirm or reject. "
        "What a referrer gives never changes a council record: it is kept on the contact.")})
    concerns = fields.Nested(ConcernsSchema)
    consent = fields.Nested(ConsentSchema)
    consent_history = fields.List(
        fields.Nested(ConsentRecordSchema),
        metadata={"description": "Every consent status recorded, oldest first."},
    )
    rag = fields.Nested(RagSchema, allow_none=True, metadata={"description": (
        "Staff and auditors only: the current RAG rating (the latest given), or null while "
        "the contact is unrated. Set with POST /contacts/{id}/rag.")})
    rag_history = fields.List(fields.Nested(RagSchema), metadata={"description": (
        "Staff and auditors only: every RAG rating given, oldest first.")})
    information_requests = fields.List(fields.Nested(InformationRequestSchema), metadata={
        "description": "Staff and auditors only: every information request asked of a partner "
        "agency about the contact (POST /contacts/{id}/information-requests) and its answer, "
        "in the order asked. Never in an agency's view of its contact."})
    allocation = fields.Nested(AllocationSchema, allow_none=True, metadata={"description": (
        "Staff and auditors only: a referral's current allocation to a team and a worker (POST "
        "/contacts/{id}/allocation), or null.")})
    allocation_history = fields.List(fields.Nested(AllocationRecordSchema), metadata={
        "description": "Staff and auditors only: every allocation, oldest first."})
    primary_need = fields.String(allow_none=True, metadata={"description": (
        "Staff and auditors only: the referral's primary need (DfE CIN census PrimaryNeedCode "
        "N0-N9), from an assessment's completion or the closure; null until then.")})
    closure = fields.Nested(ClosureSchema, allow_none=True, metadata={"description": (
        "Staff and auditors only: the referral's closure (POST /referrals/{id}/closure) with "
        "its DfE CIN census reason; null while open.")})
    recorded_by = fields.String(attribute="recorded_by_sub")
    current_outcome = fields.Nested(
        "CurrentOutcomeSchema", allow_none=True,
        metadata={"description": "The current threshold decision's outcome and time, or null."},
    )
    feedback = fields.List(
        fields.Nested("ReferrerFeedbackSchema"),
        metadata={"description": "Feedback given to the referrer, oldest first."},
    )


class CurrentOutcomeSchema(Schema):
    outcome = fields.String()
    decided_at = Timestamp()


class ReferrerFeedbackSchema(Schema):
    given_at = Timestamp()
    method = fields.String()
    summary = fields.String()


class ContactListArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(CONTACT_STATUSES))
    source_agency = Characters()
    received_from = Timestamp(metadata={"description": "Received at or after this instant."})
    received_to = Timestamp(metadata={"description": "Received strictly before this instant."})
    overdue = fields.Boolean(
        metadata={"description": "true: awaiting a decision and past decision_due_at; "
                  "false: all others."}
    )
    unallocated = fields.Boolean(metadata={"description": (
        "Staff and auditors only (an agency: 422). true: open referrals (current decision "
        "assessment or strategy_discussion, not closed) not yet allocated to a team and a "
        "worker; false: all others.")})
    order = fields.String(
        load_default="received", validate=validate.OneOf(CONTACT_ORDERS),
        metadata={"description": "`received` (the default): newest received first. `due`: the "
                  "front door's queue, soonest decision_due_at first (the most overdue at the "
                  "top), then by id; only with status=awaiting_decision (otherwise 422 naming "
                  "order). A cursor continues the order it was given out with."},
    )

    @validates_schema
    def due_order_lists_the_queue(self, data, **kwargs):
        if data.get("order") == "due" and data.get("status") != "awaiting_decision":
            raise ValidationError(
                "order=due lists contacts awaiting a decision: give status=awaiting_decision "
                "with it.", "order")
