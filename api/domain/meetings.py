"""Strategy meetings: who must be invited, what was decided, and how timely it was."""


from flask import current_app
from sqlalchemy import func, select

from .. import audit
from ..db import lock, session
from ..errors import Conflict, DomainError, NotFound, RuleViolation
from ..models import (
    Agency, Attendance, IcpcChild, Invitation, MeetingAction, MeetingChild,
    StrategyMeeting,
)
from ..pages import filtered, keyset_page
from ..timescales import configured_deadline_after, london_date, now, working_days_after
from ..vocab import AGENCY_KINDS
from . import restrictions
from .contacts import get_contact
from .decisions import current_decision
from .rationale import check_not_future, check_rationale
from .references import next_reference
from .services import current_service


def _agencies(codes, field):
    found = {a.code: a for a in session.scalars(select(Agency).where(Agency.code.in_(codes)))}
    for index, code in enumerate(codes):
        if code not in found:
            raise RuleViolation(field.format(index=index), f"Unknown agency code {code!r}.")
    return found


def _an(words):
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


def required_invitees(contact, child_ids):
    """{key: description}: agency kinds from configuration, the referrer, and early help if open."""
    required = {kind: _an(f"{kind} agency")
                for kind in current_app.config["STRATEGY_REQUIRED_KINDS"]}
    source = session.get(Agency, contact.source_agency)
    # The referring agency itself, even when another agency of its kind is invited; not children's
    # social care (it convenes the meeting), nor a member of the public (not an agency).
    exempt = source.code in current_app.config["CHILDRENS_SOCIAL_CARE_AGENCIES"] or source.kind in (
        "individual", "anonymous")
    if not exempt:
        required[source.code] = f"the referring agency ({source.name})"
    # Open to early help before this contact: its own strategy decision would hide that.
    if any(current_service(child_id, excluding_contact_id=contact.id) == "early_help"
           for child_id in child_ids):
        required.setdefault("early_help", "early help (a child is open to early help)")
    return required


def invitees_for_contact(actor, contact_id):
    """The contact and who a meeting about all its children must invite (or excuse), for a form."""
    contact = get_contact(actor, contact_id)
    child_ids = [link.child_id for link in contact.child_links]
    required = required_invitees(contact, child_ids)
    return {
        "contact_id": contact.id,
        "children": child_ids,
        "required": [{"key": key, "is_kind": key in AGENCY_KINDS, "description": description,
                      "usual_agency": _usual_agency(key) if key in AGENCY_KINDS else None}
                     for key, description in required.items()],
    }


def _usual_agency(kind):
    """The agency of `kind` invited to the most meetings (the first by code on a tie), or None:
    counts of agencies only, no meeting's details."""
    return session.scalar(
        select(Invitation.agency).join(Agency, Agency.code == Invitation.agency)
        .where(Agency.kind == kind).group_by(Invitation.agency)
        .order_by(func.count().desc(), Invitation.agency).limit(1)
    )


def _reason_agencies(reasons):
    """The agencies named by code among the reasons' keys (the others must be agency kinds)."""
    codes = [key for key in reasons if key not in AGENCY_KINDS]
    found = {a.code: a for a in session.scalars(select(Agency).where(Agency.code.in_(codes)))}
    for key in codes:
        if key not in found:
            raise RuleViolation(f"not_invited_reasons.{key}",
                                "Unknown agency code or kind; see GET /api/v1/agencies.")
    return found


def _check_invitations(required, invited_agencies, reasons):
    invited_codes = {a.code for a in invited_agencies}
    invited_kinds = {a.kind for a in invited_agencies}
    reason_agencies = _reason_agencies(reasons)
    missing, left_out = {}, 0
    for key, description in required.items():
        satisfied = key in invited_codes or key in invited_kinds
        excused = (reasons.get(key) or "").strip() or any(
            agency.kind == key and (reasons.get(code) or "").strip()
            for code, agency in reason_agencies.items()
        )
        left_out += bool(excused and not satisfied)
        if not satisfied and not excused:
            sentence = f"{description[0].upper()}{description[1:]}"
            missing[f"not_invited_reasons.{key}"] = [
                f"{sentence} must be invited, or a reason recorded for leaving it out."
            ]
    if missing:  # name every agency left out, not only the first
        raise DomainError(
            "Required agencies were neither invited nor excused: "
            + ", ".join(name.split(".", 1)[1] for name in missing) + ".",
            errors=missing,
        )
    return left_out


def convene_meeting(actor, data):
    contact = get_contact(actor, data["contact_id"])
    decision = current_decision(contact.id)
    if decision is None or decision.outcome != "strategy_discussion":
        raise Conflict(
            "A strategy meeting needs the contact's current decision to be strategy_discussion.",
            errors={"contact_id": ["The current decision is not strategy_discussion."]},
        )
    current = now()
    convened_at = data["convened_at"]
    check_not_future("convened_at", convened_at, current)
    if convened_at < decision.decided_at:
        raise RuleViolation(
            "convened_at", "Must not be before the strategy discussion decision that convenes it."
        )
    if data["scheduled_for"] < convened_at:
        raise RuleViolation("scheduled_for", "Must not be before convened_at.")
    contact_children = {link.child_id for link in contact.child_links}
    for index, child_id in enumerate(data["children"]):
        if child_id not in contact_children:
            raise RuleViolation(f"children[{index}]", "Not a child of this contact.")
        if child_id in data["children"][:index]:
            raise RuleViolation(f"children[{index}]", "Listed twice.")
    invited = data["invited"]
    codes = [item["agency"] for item in invited]
    if len(set(codes)) != len(codes):
        raise RuleViolation("invited", "Each agency is invited once.")
    agencies = _agencies(codes, "invited[{index}].agency")
    for index, item in enumerate(invited):
        if item.get("invited_at"):
            check_not_future(f"invited[{index}].invited_at", item["invited_at"], current)
    reasons = {code: reason.strip() for code, reason in (data.get("not_invited_reasons") or {}).items()}
    required = required_invitees(contact, data["children"])
    left_out = _check_invitations(required, list(agencies.values()), reasons)
    meeting = StrategyMeeting(
        reference=next_reference("SM", london_date(current).year),
        contact_id=contact.id,
        decision_id=decision.id,
        status="convened",
        convened_at=convened_at,
        scheduled_for=data["scheduled_for"],
        chair=data["chair"],
        not_invited_reasons=reasons,
        required_invitees=sorted(required),
        required_left_out=left_out,
        recorded_at=current,
        recorded_by_sub=actor.sub,
    )
    meeting.children = [MeetingChild(child_id=c, position=i) for i, c in enumerate(data["children"])]
    meeting.invitations = [
        Invitation(agency=item["agency"], invited_at=item.get("invited_at") or convened_at, position=i)
        for i, item in enumerate(invited)
    ]
    session.add(meeting)
    session.flush()
    audit.record(actor, "strategy_meeting.convened", "strategy_meeting", meeting.id, {
        **audit.snapshot(meeting),
        "children": [str(c) for c in data["children"]],
        "invited": [{"agency": i.agency, "invited_at": i.invited_at} for i in meeting.invitations],
    })
    return meeting


def get_meeting(actor, meeting_id):
    meeting = session.get(StrategyMeeting, meeting_id)
    if meeting is None:
        raise NotFound(f"No strategy meeting {meeting_id}.")
    get_contact(actor, meeting.contact_id)
    return meeting


def _locked_meeting(actor, meeting_id):
    return lock(get_meeting(actor, meeting_id))


def _check_minutes_time(minutes_recorded_at, held_at, current, field="minutes_recorded_at"):
    check_not_future(field, minutes_recorded_at, current)
    if minutes_recorded_at < held_at:
        raise RuleViolation(field, "Must not be before held_at.")


def record_outcome(actor, meeting_id, data):
    meeting = _locked_meeting(actor, meeting_id)
    if meeting.status == "held":
        raise Conflict("The meeting's outcome was recorded already.")
    current = now()
    held_at = data["held_at"]
    check_not_future("held_at", held_at, current)
    if held_at < meeting.convened_at:
        raise RuleViolation("held_at", "Must not be before convened_at.")
    invited = {i.agency for i in meeting.invitations}
    seen = set()
    for index, item in enumerate(data.get("attendance") or []):
        if item["agency"] not in invited:
            raise RuleViolation(f"attendance[{index}].agency", "Attendance is recorded only for invited agencies.")
        if item["agency"] in seen:
            raise RuleViolation(f"attendance[{index}].agency", "Recorded twice.")
        seen.add(item["agency"])
    rationale = check_rationale("rationale", data.get("rationale"))
    medical = data["medical_examination"]
    if medical["decision"] == "not_required" and not (medical.get("reason") or "").strip():
        raise RuleViolation(
            "medical_examination.reason", "Say why a medical examination is not required."
        )
    actions = data.get("actions") or []
    if actions:
        _agencies([a["owner_agency"] for a in actions], "actions[{index}].owner_agency")
    for index, action in enumerate(actions):
        if action["due_date"] < london_date(held_at):
            raise RuleViolation(f"actions[{index}].due_date", "Must not be before the meeting.")
    if data.get("minutes_recorded_at"):
        _check_minutes_time(data["minutes_recorded_at"], held_at, current)
    meeting.status = "held"
    meeting.held_at = held_at
    meeting.outcome = data["outcome"]
    meeting.rationale = rationale
    meeting.medical_examination_decision = medical["decision"]
    meeting.medical_examination_reason = (medical.get("reason") or "").strip() or None
    meeting.minutes_recorded_at = data.get("minutes_recorded_at")
    meeting.held_same_day = london_date(held_at) == london_date(meeting.convened_at)
    meeting.agencies_invited = len(invited)
    meeting.agencies_attended = sum(1 for a in data.get("attendance") or [] if a["attended"])
    if meeting.minutes_recorded_at is not None:
        meeting.minutes_within_1_working_day = _minutes_on_time(meeting)
        meeting.minutes_recorded_by_sub = actor.sub
    meeting.outcome_recorded_at = current
    meeting.outcome_recorded_by_sub = actor.sub
    if data["outcome"] == "s47_enquiry":
        meeting.icpc_due_date = working_days_after(
            london_date(held_at), current_app.config["ICPC_WORKING_DAYS"],
            current_app.config["HOLIDAY_COUNTRY"], current_app.config["HOLIDAY_SUBDIVISION"],
        )
    meeting.attendance = [
        Attendance(agency=a["agency"], attended=a["attended"], name=a.get("name"),
                   role=a.get("role"), position=i)
        for i, a in enumerate(data.get("attendance") or [])
    ]
    meeting.actions = [
        MeetingAction(description=a["description"], owner_agency=a["owner_agency"],
                      due_date=a["due_date"], position=i)
        for i, a in enumerate(actions)
    ]
    session.flush()
    audit.record(actor, "strategy_meeting.outcome_recorded", "strategy_meeting", meeting.id, {
        **audit.snapshot(meeting),
        "attendance": [{"agency": a.agency, "attended": a.attended, "name": a.name, "role": a.role}
                       for a in meeting.attendance],
        "actions": [{"description": a.description, "owner_agency": a.owner_agency,
                     "due_date": a.due_date} for a in meeting.actions],
    })
    return meeting


def record_minutes(actor, meeting_id, data):
    meeting = _locked_meeting(actor, meeting_id)
    if meeting.status != "held":
        raise Conflict("Record the meeting's outcome (held_at) before its minutes.")
    if meeting.minutes_recorded_at is not None:
        raise Conflict("The minutes were recorded already.")
    _check_minutes_time(data["minutes_recorded_at"], meeting.held_at, now())
    meeting.minutes_recorded_at = data["minutes_recorded_at"]
    meeting.minutes_recorded_by_sub = actor.sub
    meeting.minutes_within_1_working_day = _minutes_on_time(meeting)
    session.flush()
    audit.record(actor, "strategy_meeting.minutes_recorded", "strategy_meeting", meeting.id,
                 {"minutes_recorded_at": meeting.minutes_recorded_at,
                  "minutes_within_1_working_day": meeting.minutes_within_1_working_day})
    return meeting


def record_icpc(actor, meeting_id, data):
    """The initial child protection conference an s47 enquiry leads to: held, or not required."""
    meeting = _locked_meeting(actor, meeting_id)
    if meeting.status != "held" or meeting.outcome != "s47_enquiry":
        raise Conflict("An ICPC is recorded only for a held meeting whose outcome is s47_enquiry.")
    if meeting.icpc_recorded_at is not None:
        raise Conflict("The meeting's ICPC was recorded already.")
    current = now()
    if data.get("not_required"):
        meeting.icpc_not_required = True
        meeting.icpc_not_required_reason = data["reason"]
    else:
        held_on = data["held_on"]
        if held_on.weekday() >= 5:  # the DfE CIN census refuses it (its validation rule 8875)
            day = f"{held_on:%A} {held_on.day} {held_on:%B %Y}"
            raise RuleViolation("held_on", f"{day} is a weekend: a conference is held on a "
                                "weekday (DfE CIN census rule 8875).")
        if held_on < london_date(meeting.held_at):
            raise RuleViolation("held_on", "Must not be before the strategy meeting (held_at).")
        if held_on > london_date(current):
            raise RuleViolation("held_on", "Must not be in the future.")
        plans = data["child_protection_plan"]
        children = set(meeting.child_ids)
        listed = []
        for index, item in enumerate(plans):
            if item["child_id"] not in children:
                raise RuleViolation(f"child_protection_plan[{index}].child_id",
                                    "Not a child of this meeting.")
            if item["child_id"] in listed:
                raise RuleViolation(f"child_protection_plan[{index}].child_id", "Listed twice.")
            listed.append(item["child_id"])
        if len(listed) != len(children):
            missing = ", ".join(str(c) for c in meeting.child_ids if c not in listed)
            raise RuleViolation("child_protection_plan",
                                f"One entry for each child of the meeting; missing {missing}.")
        meeting.icpc_not_required = False
        meeting.icpc_held_on = held_on
        meeting.icpc_within_timescale = held_on <= meeting.icpc_due_date
        meeting.icpc_children = [IcpcChild(child_id=item["child_id"], child_protection_plan=item["plan"],
                                           category_of_abuse=item.get("category_of_abuse"))
                                 for item in plans]
    meeting.icpc_recorded_at = current
    meeting.icpc_recorded_by_sub = actor.sub
    session.flush()
    audit.record(actor, "strategy_meeting.icpc_recorded", "strategy_meeting", meeting.id, {
        "icpc_held_on": meeting.icpc_held_on,
        "icpc_within_timescale": meeting.icpc_within_timescale,
        "icpc_not_required": meeting.icpc_not_required,
        "icpc_not_required_reason": meeting.icpc_not_required_reason,
        "children": [{"child_id": str(c.child_id), "child_protection_plan": c.child_protection_plan,
                      **({"category_of_abuse": c.category_of_abuse} if c.category_of_abuse else {})}
                     for c in meeting.icpc_children],
    })
    return meeting


def list_meetings(actor, args):
    shut = restrictions.hidden(actor)
    stmt = filtered(select(StrategyMeeting).where(shut.contacts_clause(StrategyMeeting.contact_id)),
                    args, equal={"status": StrategyMeeting.status,
                                 "contact_id": StrategyMeeting.contact_id},
                    since={"from_": StrategyMeeting.convened_at},
                    before={"to": StrategyMeeting.convened_at})
    return keyset_page(
        stmt, [StrategyMeeting.convened_at, StrategyMeeting.id],
        limit=args["limit"], cursor=args.get("cursor"), descending=True,
    )


def _minutes_on_time(meeting):
    due = configured_deadline_after(meeting.held_at, current_app.config["MINUTES_WORKING_DAYS"])
    return meeting.minutes_recorded_at <= due
