"""Strategy meetings in Chromium: a contact decided strategy_discussion offers to convene one with
police, health and the referrer ticked; leaving a required agency out without a reason is refused
beside its reason; the meeting convened, its page records the outcome (attendance, the medical
examination decision), the minutes and the ICPC, each shown after and checked in the API. An
auditor sees it all and no form. Each page and state is checked with axe and screenshotted."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.console.steps import (
    convene_meeting_through_api, decide_strategy_discussion, fill_when, post_contact, sign_in,
)

pytestmark = pytest.mark.needs_browser

LONDON = ZoneInfo("Europe/London")
MEDICAL_REASON = "Bruising is old and was seen by the GP last week; no new injury alleged."
MEETING_RATIONALE = ("Disclosure to the teacher of being hit with a belt; police and school agree "
                     "the threshold for a section 47 enquiry is met.")


def api_time(instant):
    """What the API answers for `instant` typed to the minute in London time."""
    local = instant.astimezone(LONDON).replace(second=0, microsecond=0)
    return local.astimezone(UTC).isoformat().replace("+00:00", "Z")


def checked_codes(page):
    return page.eval_on_selector_all('input[name="invited"]:checked', "nodes => nodes.map(n => n.value)")


def a_weekday_now():
    """Now, or on a Saturday or Sunday in London the same time on the Friday before: the meeting
    is held on a weekday, so that its conference can be recorded on the day it was held (an ICPC
    on a weekend is refused: DfE CIN census rule 8875)."""
    now = datetime.now(UTC)
    return now - timedelta(days=max(0, now.astimezone(LONDON).weekday() - 4))


def test_a_strategy_discussion_is_convened_held_minuted_and_its_conference_recorded(
        site, watched, axe, snap):
    page = watched.page
    now = a_weekday_now()
    # An earlier meeting invited West Midlands Police and the GP: the agencies of those kinds
    # ticked to start with (not the first by name, British Transport Police and CAMHS).
    earlier = post_contact(site, hours_ago=30, given="Ruby", now=now)
    decide_strategy_discussion(site, earlier, decided_at=now - timedelta(hours=29))
    convene_meeting_through_api(site, earlier, convened_at=now - timedelta(hours=28),
                                invited=("wmp", "hilltop-gp"))
    contact = post_contact(site, hours_ago=3, given="Maya", agency="oakfield-primary",
                           summary="Maya told her teacher she was hit with a belt.", now=now)
    decide_strategy_discussion(site, contact, decided_at=now - timedelta(hours=2))

    page.goto(f"/console/contact?id={contact['id']}")
    sign_in(page)
    expect(page.get_by_role("heading", name="Strategy meeting", exact=True)).to_be_visible()
    expect(page.get_by_text("No strategy meeting has been convened yet.")).to_be_visible()
    form = page.locator("form", has=page.get_by_role("heading", name="Convene a strategy meeting"))
    agencies = form.get_by_role("group", name="Agencies invited")
    # Police, health and the school that made the contact start ticked; nobody else.
    for name in ("West Midlands Police", "Hill Top Medical Practice", "Oakfield Primary School"):
        expect(agencies.get_by_role("checkbox", name=name, exact=True)).to_be_checked()
    expect(agencies.get_by_role("checkbox", name="British Transport Police")).not_to_be_checked()
    assert sorted(checked_codes(page)) == ["hilltop-gp", "oakfield-primary", "wmp"]
    expect(form.get_by_label("Why is no health agency invited?")).to_be_hidden()
    axe(page, "contact with the convene form")
    snap(page, "meeting-convene-form")

    convened = now - timedelta(hours=1)
    scheduled = now + timedelta(days=1)
    fill_when(form, "When was it decided to hold the meeting?", convened)
    fill_when(form, "When is it to be held?", scheduled)
    form.get_by_label("Who chairs it?").fill("Mark Evans")

    # Unticking the health agency asks why; sent without a reason, the server's 422 is beside it.
    agencies.get_by_role("checkbox", name="Hill Top Medical Practice").uncheck()
    reason = form.get_by_label("Why is no health agency invited?")
    expect(reason).to_be_visible()
    form.get_by_role("button", name="Convene meeting").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("There is a problem")
    expect(page.locator("#reason-health-error")).to_contain_text(
        "A health agency must be invited, or a reason recorded for leaving it out.")
    expect(reason).to_have_attribute("aria-describedby", re.compile("reason-health-error"))
    expect(page).to_have_title(re.compile("^Error: "))
    assert site.call("GET", "/strategy-meetings", params={"contact_id": contact["id"]}).json()["items"] == []
    axe(page, "convening refused: a required agency left out without a reason")
    snap(page, "meeting-convene-refused")

    # Health Visiting invited instead: health is satisfied, the reason is no longer asked.
    agencies.get_by_role("checkbox", name="Health Visiting Service").check()
    expect(reason).to_be_hidden()
    form.get_by_role("button", name="Convene meeting").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(re.compile(r"Strategy meeting SM-\d{4}-\d+ convened\."))
    listed = site.call("GET", "/strategy-meetings", params={"contact_id": contact["id"]}).json()["items"]
    assert len(listed) == 1
    meeting = listed[0]
    assert sorted(i["agency"] for i in meeting["invited"]) == ["health-visiting", "oakfield-primary", "wmp"]
    assert meeting["not_invited_reasons"] == {}
    assert meeting["required_invitees"] == ["health", "oakfield-primary", "police"]
    assert meeting["chair"] == "Mark Evans"
    assert meeting["convened_at"] == api_time(convened)
    assert meeting["scheduled_for"] == api_time(scheduled)
    assert meeting["children"] == [contact["children"][0]["id"]]
    expect(page.get_by_role("button", name="Convene meeting")).to_have_count(0)
    link = page.get_by_role("link", name=f"Strategy meeting {meeting['reference']}")
    expect(link).to_be_visible()
    axe(page, "contact with its meeting convened")
    snap(page, "meeting-convened-on-contact")

    # The meeting's page.
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(meeting["reference"])
    expect(page.get_by_role("heading", level=1)).to_contain_text("Convened")
    expect(page.get_by_role("link", name=contact["reference"], exact=True)).to_be_visible()
    overview = page.locator(".govuk-summary-list").first
    expect(overview).to_contain_text("Maya Hughes")
    expect(overview).to_contain_text("Mark Evans")
    expect(overview).to_contain_text("priya")
    invited = page.get_by_role("table", name="Agencies invited to the meeting")
    for name in ("West Midlands Police", "Health Visiting Service", "Oakfield Primary School"):
        expect(invited).to_contain_text(name)
    axe(page, "meeting convened")
    snap(page, "meeting-convened")

    # The outcome: attendance per agency, s47; "no medical examination" without a reason first.
    outcome = page.locator("form", has=page.get_by_role("heading", name="Record the outcome"))
    held = now - timedelta(minutes=30)
    fill_when(outcome, "When was the meeting held?", held)
    outcome.get_by_role("group", name="Did West Midlands Police attend?").get_by_label("Attended").check()
    outcome.get_by_label("Who attended for West Midlands Police (optional)").fill("DS Lee")
    outcome.get_by_label("Their role at West Midlands Police (optional)").fill("Detective Sergeant")
    outcome.get_by_role("group", name="Did Health Visiting Service attend?").get_by_label("Did not attend").check()
    outcome.get_by_role("group", name="Did Oakfield Primary School attend?").get_by_label("Attended").check()
    outcome.get_by_role("group", name="Outcome").get_by_label("Section 47 enquiry").check()
    outcome.get_by_label("Rationale").fill(MEETING_RATIONALE)
    medical = outcome.get_by_role("group", name="Medical examination")
    medical.get_by_label("A medical examination is not needed").check()
    expect(outcome.get_by_label("Why is a medical examination not needed?")).to_be_visible()
    outcome.get_by_role("button", name="Record outcome").click()
    expect(page.locator("#medical-reason-error")).to_contain_text("Say why a medical examination is not required.")
    assert site.call("GET", f"/strategy-meetings/{meeting['id']}").json()["status"] == "convened"
    axe(page, "outcome refused: no reason for no medical examination")
    snap(page, "meeting-outcome-refused")

    outcome.get_by_label("Why is a medical examination not needed?").fill(MEDICAL_REASON)
    outcome.get_by_role("button", name="Record outcome").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Outcome recorded.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Held")
    results = page.locator(".govuk-summary-list").nth(1)
    expect(results).to_contain_text("2 of 3 invited agencies attended")
    expect(results).to_contain_text("Section 47 enquiry")
    expect(results).to_contain_text(MEDICAL_REASON)
    expect(results).to_contain_text(MEETING_RATIONALE)
    police_row = invited.get_by_role("row").filter(has_text="West Midlands Police")
    expect(police_row).to_contain_text("Yes")
    expect(police_row).to_contain_text("DS Lee")
    expect(invited.get_by_role("row").filter(has_text="Health Visiting Service")).to_contain_text("No")
    recorded = site.call("GET", f"/strategy-meetings/{meeting['id']}").json()
    assert recorded["status"] == "held"
    assert recorded["held_at"] == api_time(held)
    assert recorded["outcome"] == "s47_enquiry"
    assert recorded["medical_examination"] == {"decision": "not_required", "reason": MEDICAL_REASON}
    assert sorted((a["agency"], a["attended"], a["name"]) for a in recorded["attendance"]) == [
        ("health-visiting", False, None), ("oakfield-primary", True, None), ("wmp", True, "DS Lee")]
    assert recorded["icpc_due_date"]
    axe(page, "meeting held")
    snap(page, "meeting-held")

    # The minutes.
    minutes_at = now - timedelta(minutes=10)
    fill_when(page, "When were the minutes written?", minutes_at)
    page.get_by_role("button", name="Record minutes").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Minutes recorded.")
    expect(page.get_by_role("button", name="Record minutes")).to_have_count(0)
    minuted = site.call("GET", f"/strategy-meetings/{meeting['id']}").json()
    assert minuted["minutes_recorded_at"] == api_time(minutes_at)
    assert minuted["minutes_within_1_working_day"] is True
    expect(page.locator(".govuk-summary-list").nth(2)).to_contain_text(
        re.compile(r"Minutes written.*Within 1 working day of the meeting\s*Yes", re.DOTALL))

    # The ICPC: held, but no answer for the child's plan first.
    conference = page.locator("form", has=page.get_by_role("heading", name="Record the conference"))
    conference.get_by_label("Yes, it was held").check()
    held_on = conference.get_by_role("group", name="Date it was held")
    today = datetime.now(LONDON).date()
    for part, value in (("Day", today.day), ("Month", today.month), ("Year", today.year)):
        expect(held_on.get_by_label(part)).to_have_value(str(value))
    conference.get_by_role("button", name="Record conference").click()
    expect(page.locator("#plan-0-error")).to_contain_text("Missing data for required field")
    axe(page, "conference refused: no answer for the child's plan")
    snap(page, "meeting-icpc-refused")
    conference.get_by_role("group", name="Is Maya Hughes subject to a child protection plan?").get_by_label(
        "Yes").check()
    # A Saturday (the latest on or before today) is refused: conferences are held on weekdays.
    saturday = today - timedelta(days=(today.weekday() - 5) % 7)
    meeting_day = held.astimezone(LONDON).date()
    for day in (saturday, meeting_day):
        for part, value in (("Day", day.day), ("Month", day.month), ("Year", day.year)):
            held_on.get_by_label(part).fill(str(value))
        conference.get_by_role("button", name="Record conference").click()
        if day == saturday:
            expect(page.locator(".govuk-error-summary")).to_contain_text("is a weekend")
            assert site.call("GET", f"/strategy-meetings/{meeting['id']}").json()["icpc"] is None
            snap(page, "meeting-icpc-weekend-refused")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Initial child protection conference recorded.")
    plans = page.get_by_role("table", name="Child protection plans")
    expect(plans.get_by_role("row").filter(has_text="Maya Hughes")).to_contain_text("Yes")
    expect(page.get_by_role("button", name="Record conference")).to_have_count(0)
    icpc = site.call("GET", f"/strategy-meetings/{meeting['id']}").json()["icpc"]
    assert icpc["held_on"] == meeting_day.isoformat()
    assert icpc["within_timescale"] is True and icpc["not_required"] is False
    assert icpc["children"] == [{"child_id": contact["children"][0]["id"], "child_protection_plan": True}]
    expect(page.locator(".govuk-summary-list").filter(has_text="Held on")).to_contain_text(
        re.compile(r"Within the timescale\s*Yes\s*Due by"))
    expect(page.locator("#page")).not_to_contain_text("null")
    axe(page, "meeting with its conference")
    snap(page, "meeting-complete")

    # Back on the contact, the meeting is summarised as held.
    page.get_by_role("link", name=f"Back to contact {contact['reference']}").click()
    summary = page.locator(".govuk-summary-list").filter(has_text="Chair")
    expect(summary).to_contain_text("Section 47 enquiry")
    assert watched.dialogs == [] and watched.errors == []


def test_an_auditor_reads_a_meeting_and_is_offered_no_form(site, watched, axe, snap):
    page = watched.page
    now = datetime.now(UTC)
    contact = post_contact(site, hours_ago=5, given="Leo")
    decide_strategy_discussion(site, contact, decided_at=now - timedelta(hours=4))
    meeting = convene_meeting_through_api(site, contact, convened_at=now - timedelta(hours=3),
                                          not_invited_reasons={"health": "GP surgery closed today."})

    page.goto(f"/console/contact?id={contact['id']}")
    sign_in(page, "ava.auditor")
    expect(page.get_by_role("link", name=f"Strategy meeting {meeting['reference']}")).to_be_visible()
    expect(page.get_by_role("button", name="Convene meeting")).to_have_count(0)
    page.get_by_role("link", name=f"Strategy meeting {meeting['reference']}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(meeting["reference"])
    expect(page.get_by_role("table", name="Required agencies not invited, and why")).to_contain_text(
        "GP surgery closed today.")
    expect(page.get_by_text("The outcome has not been recorded yet.")).to_be_visible()
    expect(page.locator("form")).to_have_count(0)
    axe(page, "meeting as an auditor")
    snap(page, "meeting-auditor")
    assert watched.dialogs == [] and watched.errors == []


def test_staff_see_meetings_waiting_for_their_outcome_soonest_first_then_those_held(
        site, watched, axe, snap):
    page = watched.page
    now = datetime.now(UTC)
    meetings = {}
    for given, convened_hours_ago in (("Later", 1), ("Sooner", 2), ("Done", 4)):
        contact = post_contact(site, hours_ago=6, given=given)
        decide_strategy_discussion(site, contact, decided_at=now - timedelta(hours=5))
        # To be held an hour after it was convened: Sooner before Later.
        meetings[given] = convene_meeting_through_api(
            site, contact, convened_at=now - timedelta(hours=convened_hours_ago),
            invited=("wmp", "hilltop-gp"))
    held = site.call("POST", f"/strategy-meetings/{meetings['Done']['id']}/outcome", json={
        "held_at": (now - timedelta(hours=3)).isoformat(), "outcome": "s47_enquiry",
        "rationale": MEETING_RATIONALE, "medical_examination": {"decision": "required"},
        "attendance": [{"agency": "wmp", "attended": True}]})
    assert held.status_code == 201, held.text

    page.goto("/console/")
    sign_in(page)
    page.get_by_role("link", name="Strategy meetings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Strategy meetings")
    waiting = page.get_by_role("table", name=re.compile("waiting for their outcome"))
    expect(waiting.get_by_role("link", name=meetings["Sooner"]["reference"])).to_be_visible()
    references = waiting.get_by_role("link", name=re.compile(r"^SM-")).all_inner_texts()
    assert references.index(meetings["Sooner"]["reference"]) < references.index(meetings["Later"]["reference"])
    assert meetings["Done"]["reference"] not in references
    sooner = waiting.get_by_role("row").filter(has_text=meetings["Sooner"]["reference"])
    expect(sooner).to_contain_text("Sooner Hughes")
    expect(sooner).to_contain_text("Mark Evans")
    done = page.get_by_role("table", name=re.compile("Held meetings")).get_by_role("row").filter(
        has_text=meetings["Done"]["reference"])
    expect(done).to_contain_text("Section 47 enquiry")
    expect(done).to_contain_text("Not recorded")  # the minutes
    expect(done).to_contain_text("Due")  # the conference
    axe(page, "strategy meetings")
    snap(page, "meetings-list")

    done.get_by_role("link", name=meetings["Done"]["reference"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(meetings["Done"]["reference"])
    assert watched.dialogs == [] and watched.errors == []
