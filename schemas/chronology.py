"""One chronology per contact and per child: the sequence of events inspectors ask for."""

from marshmallow import Schema, ValidationError, fields, validates_schema

from api.vocab import CHRONOLOGY_KINDS

from .common import Day, PageArgsSchema, Text, Timestamp
from .contacts import ChildSchema, NHSNumber, PossibleMatchSchema


class RefSchema(Schema):
    type = fields.String(metadata={"description": "contact, decision, feedback, strategy_meeting, information_request, "
                                   "transition, child (a merge: the duplicate's id)"})
    id = fields.String()


class ChronologyItemSchema(Schema):
    at = Timestamp()
    kind = fields.String(metadata={"description": ", ".join(CHRONOLOGY_KINDS) + " (icpc_recorded is at "
                                   "the time the conference was recorded, not the date held)"})
    summary = fields.String()
    by = fields.String(allow_none=True, metadata={"description": "Who recorded or did it (token sub)."})
    ref = fields.Nested(RefSchema)
    contact_id = fields.UUID(allow_none=True, metadata={
        "description": "The contact this event belongs to (GET /contacts/{id}): the contact "
        "itself, its consent, decisions and feedback, its strategy meetings, and the decisions "
        "linking its children; null for step-up/step-down requests and merges."})


class ChronologySchema(Schema):
    items = fields.List(fields.Nested(ChronologyItemSchema),
                        metadata={"description": "In time order, oldest first."})


class ContactSummarySchema(Schema):
    id = fields.UUID()
    reference = fields.String()
    received_at = Timestamp()
    source_agency = fields.String()
    status = fields.String()


class ChildDetailSchema(ChildSchema):
    current_service = fields.String(allow_none=True, metadata={
        "description": "early_help, social_care or null: derived from the latest accepted "
        "transition or current decision."})
    contacts = fields.List(fields.Nested(ContactSummarySchema), metadata={
        "description": "Contacts about this child, oldest first (those of a duplicate merged "
        "into it included)."})
    possible_matches = fields.List(fields.Nested(PossibleMatchSchema), metadata={
        "description": "The open possible matches this child is in, oldest first: a contact's "
        "child linked to this record that may be another (the candidate), or one linked "
        "elsewhere that may be this one. Confirm or reject each with POST "
        "/contacts/{contact_id}/children/{position}/link."})


_CRITERIA = "Give nhs_number, local_child_id, or family_name with given_name and date_of_birth."


class ChildSearchArgsSchema(PageArgsSchema):
    """One criterion: an NHS number, a local child id, or a name with a date of birth."""

    nhs_number = NHSNumber(metadata={
        "description": "The record holding this NHS number. Exactly one criterion is given: "
        "this, local_child_id, or family_name with given_name and date_of_birth (none, or two, "
        "is a 422 naming them)."})
    local_child_id = Text(max_length=64, metadata={
        "description": "The record holding this local child id (exactly one criterion)."})
    family_name = Text(max_length=100, metadata={
        "description": "With given_name and date_of_birth (all three): records with these names, "
        "regardless of case, and this date of birth."})
    given_name = Text(max_length=100, metadata={"description": "Only with family_name."})
    date_of_birth = Day(metadata={"description": "Only with family_name."})

    @validates_schema
    def one_criterion(self, data, **kwargs):
        given = [name for name in ("nhs_number", "local_child_id", "family_name") if name in data]
        if not given:
            named = {"given_name", "date_of_birth"} & set(data)
            if named:
                raise ValidationError({"family_name": [
                    f"Required with {' and '.join(sorted(named))}."]})
            raise ValidationError({name: [_CRITERIA] for name in
                                   ("nhs_number", "local_child_id", "family_name")})
        if len(given) > 1:
            raise ValidationError({name: [f"Give one criterion, not {' and '.join(given)}."]
                                   for name in given[1:]})
        if given == ["family_name"]:
            missing = [name for name in ("given_name", "date_of_birth") if name not in data]
            if missing:
                raise ValidationError({name: ["Required with family_name."] for name in missing})
        else:
            extra = [name for name in ("given_name", "date_of_birth") if name in data]
            if extra:
                raise ValidationError({name: ["Only with family_name."] for name in extra})


class ChildMergeSchema(Schema):
    duplicate = fields.UUID(required=True, metadata={
        "description": "The duplicate record, merged into the child of the URL: its contacts' "
        "children, strategy meetings, ICPC entries and step-up/step-down requests move to that "
        "child (whose chronology then shows both histories), and it answers 404 naming "
        "`merged_into`. Not the child itself (422), nor one already merged (409); 409 too when a "
        "strategy meeting lists both, or both have an open step-up/step-down request."})
    reason = Text(required=True, max_length=5_000, metadata={
        "description": "Why they are the same child: shown in the chronology."})


class ChildUnmergeSchema(Schema):
    reason = Text(required=True, max_length=5_000, metadata={
        "description": "Why the merge is undone: shown in the chronology."})
