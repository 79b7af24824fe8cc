"""One chronology per contact and per child: the sequence of events inspectors ask for."""

from marshmallow import Schema, fields

from api.vocab import CHRONOLOGY_KINDS

from .common import Timestamp
from .contacts import ChildSchema


class RefSchema(Schema):
    type = fields.String(metadata={"description": "contact, decision, feedback, strategy_meeting, transition"})
    id = fields.String()


class ChronologyItemSchema(Schema):
    at = Timestamp()
    kind = fields.String(metadata={"description": ", ".join(CHRONOLOGY_KINDS) + " (icpc_recorded is at "
                                   "the time the conference was recorded, not the date held)"})
    summary = fields.String()
    by = fields.String(allow_none=True, metadata={"description": "Who recorded or did it (token sub)."})
    ref = fields.Nested(RefSchema)


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
        "description": "Contacts about this child, oldest first."})
