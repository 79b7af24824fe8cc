from ..auth import CASE_READERS, STAFF
from ..caller import current_actor
from ..domain import meetings
from . import Blueprint, honours_if_match, locator
from schemas.common import page_of
from schemas.meetings import (
    IcpcCreateSchema, MeetingCreateSchema, MeetingListArgsSchema, MeetingOutcomeCreateSchema, MeetingSchema,
    MinutesCreateSchema, RequiredInviteesSchema,
)

blp = Blueprint("strategy_meetings", __name__, description="Strategy meetings (s47 concerns)")


if_meeting_matches = honours_if_match(
    lambda meeting_id: meetings.get_meeting(current_actor(), meeting_id), MeetingSchema, "strategy meeting"
)


_located = locator("strategy_meetings.get_meeting", "meeting_id")


@blp.route("/strategy-meetings", methods=["POST"], roles=STAFF, writes=True)
@blp.arguments(MeetingCreateSchema)
@blp.response(201, MeetingSchema)
@blp.doc(responses={"404": "NOT_FOUND"})  # contact_id names no contact this caller may see
def convene_meeting(data):
    """Convene a strategy meeting on a strategy discussion decision, with its invitations."""
    return _located(meetings.convene_meeting(current_actor(), data))


@blp.route("/strategy-meetings", roles=CASE_READERS, logs_access="strategy_meeting")
@blp.arguments(MeetingListArgsSchema, location="query")
@blp.response(200, page_of(MeetingSchema))
def list_meetings(args):
    """List strategy meetings, most recently convened first."""
    return meetings.list_meetings(current_actor(), args)


@blp.route("/contacts/<uuid:contact_id>/strategy-meeting-invitees", roles=STAFF, logs_access="contact")
@blp.response(200, RequiredInviteesSchema)
def required_invitees(contact_id):
    """Who a strategy meeting on this contact must invite, or give a reason for leaving out."""
    return meetings.invitees_for_contact(current_actor(), contact_id)


@blp.route("/strategy-meetings/<uuid:meeting_id>",
           roles=CASE_READERS, logs_access="strategy_meeting")
@blp.etag
@blp.response(200, MeetingSchema)
def get_meeting(meeting_id):
    """Read a strategy meeting, its invitations, outcome and timeliness."""
    return meetings.get_meeting(current_actor(), meeting_id)


@blp.route("/strategy-meetings/<uuid:meeting_id>/outcome",
           methods=["POST"], roles=STAFF, writes=True)
@if_meeting_matches
@blp.arguments(MeetingOutcomeCreateSchema)
@blp.response(201, MeetingSchema)
def record_outcome(data, meeting_id):
    """Record the meeting's outcome, attendance, medical examination decision and actions (once)."""
    return _located(meetings.record_outcome(current_actor(), meeting_id, data))


@blp.route("/strategy-meetings/<uuid:meeting_id>/minutes",
           methods=["POST"], roles=STAFF, writes=True)
@if_meeting_matches
@blp.arguments(MinutesCreateSchema)
@blp.response(201, MeetingSchema)
def record_minutes(data, meeting_id):
    """Record when the minutes were written, if after the outcome (once)."""
    return _located(meetings.record_minutes(current_actor(), meeting_id, data))


@blp.route("/strategy-meetings/<uuid:meeting_id>/icpc", methods=["POST"], roles=STAFF, writes=True)
@if_meeting_matches
@blp.arguments(IcpcCreateSchema)
@blp.response(201, MeetingSchema)
def record_icpc(data, meeting_id):
    """Record the initial child protection conference of an s47 enquiry, or why none is needed (once)."""
    return _located(meetings.record_icpc(current_actor(), meeting_id, data))
