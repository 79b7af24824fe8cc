"""A manager's day, in Chromium: the decisions awaiting sign-off, signing one off from its contact
(and the server's refusal when a manager tries to sign off his own), then step-up and step-down
requests: requested on a contact's page, answered from the receiving service's requests page,
refused with reasons and accepted; a step-down without a plan refused beside the plan. Each page
and state walked is checked with axe (WCAG 2.2 AA) and screenshotted at two widths."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.console.steps import RATIONALE, iso, post_contact, sign_in

pytestmark = pytest.mark.needs_browser

LONDON = ZoneInfo("Europe/London")
NOTE = "Agreed: the threshold is right and the rationale says why."
STEP_UP_WHY = ("Early help support has not reduced the risk: the child disclosed being hit at "
               "home and the parents no longer engage.")
REFUSAL = ("The threshold for social care is not met: no new harm since the plan started, and "
           "the school reports improving attendance.")


def decide(site, contact, outcome="nfa", *, name="priya.mash", hours_ago=None):
    body = {"outcome": outcome, "rationale": RATIONALE}
    if hours_ago is not None:
        body["decided_at"] = iso(datetime.now(UTC) - timedelta(hours=hours_ago))
    answer = site.call("POST", f"/contacts/{contact['id']}/decisions", name=name, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def fill_date(page, legend, day):
    """Type a date (or clear it, with None) into a GOV.UK date input named by its legend."""
    group = page.get_by_role("group", name=legend)
    for part, value in (("Day", day and day.day), ("Month", day and day.month),
                        ("Year", day and day.year)):
        group.get_by_label(part).fill("" if value is None else str(value))


def decisions_of(site, contact):
    return site.call("GET", f"/contacts/{contact['id']}/decisions").json()["items"]


def inbox_references(page):
    return page.get_by_role("region", name=re.compile("Decisions awaiting sign-off")).get_by_role(
        "row").get_by_role("link").all_inner_texts()


def test_a_manager_signs_off_a_practitioners_decision_and_it_leaves_the_inbox(
        site, watched, axe, snap):
    page = watched.page
    older = post_contact(site, hours_ago=30, given="Ella")
    decide(site, older, hours_ago=26)
    newer = post_contact(site, hours_ago=3, given="Jack")
    decide(site, newer, "information_advice")

    page.goto("/console/sign-off")
    sign_in(page, "mo.manager")
    expect(page.get_by_role("heading", name="Decisions awaiting sign-off", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=newer["reference"])).to_be_visible()
    mine = [ref for ref in inbox_references(page) if ref in (older["reference"], newer["reference"])]
    assert mine == [older["reference"], newer["reference"]]  # the longest waiting first
    older_row = page.get_by_role("row").filter(has_text=older["reference"])
    expect(older_row).to_contain_text("No further action")
    expect(older_row).to_contain_text("priya.mash")
    expect(older_row).to_contain_text("MASH")
    expect(older_row).to_contain_text("1 day 2 hours")
    expect(page.get_by_role("row").filter(has_text=newer["reference"])).to_contain_text(
        "Information and advice")
    expect(page.get_by_role("link", name="Sign-off", exact=True)).to_have_attribute(
        "aria-current", "page")
    axe(page, "sign-off inbox")
    snap(page, "sign-off-inbox")

    # Filters: decided by another service's staff (none here), then a period that ends before
    # the newer decision.
    page.get_by_label("Decided by staff of").select_option(label="Social care")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No decisions are awaiting sign-off.")).to_be_visible()
    page.get_by_label("Decided by staff of").select_option(label="All services")
    fill_date(page, "Decided before", datetime.now(LONDON).date())
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("link", name=newer["reference"])).to_have_count(0)
    expect(page.get_by_role("link", name=older["reference"])).to_be_visible()
    fill_date(page, "Decided on or after", date(2026, 12, 31))
    fill_date(page, "Decided before", date(2026, 1, 1))
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page.locator("#decided-to-error")).to_contain_text("Must be after from")
    axe(page, "sign-off inbox, a period the server refuses")
    snap(page, "sign-off-inbox-period-refused")
    fill_date(page, "Decided on or after", None)
    fill_date(page, "Decided before", None)
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page.get_by_role("link", name=newer["reference"])).to_be_visible()

    page.get_by_role("link", name=older["reference"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(older["reference"])
    form = page.get_by_role("form", name="Sign off this decision")
    expect(form).to_be_visible()
    expect(page.locator(".govuk-summary-card").filter(has_text="Current")).to_contain_text(
        "Not signed off yet")
    axe(page, "contact with a decision to sign off")
    snap(page, "contact-to-sign-off")

    form.get_by_label("Note (optional)").fill(NOTE)
    form.get_by_role("button", name="Sign off decision").click()
    expect(page.get_by_role("alert")).to_contain_text("Decision signed off.")
    card = page.locator(".govuk-summary-card").filter(has_text="Current")
    expect(card).to_contain_text("Signed off by mo.manager")
    expect(card).to_contain_text(NOTE)
    expect(page.get_by_role("form", name="Sign off this decision")).to_have_count(0)
    axe(page, "contact with a signed-off decision")
    snap(page, "contact-signed-off")

    approval = decisions_of(site, older)[0]["approval"]
    assert (approval["approved_by"], approval["note"]) == ("mo.manager", NOTE)
    pending = site.call("GET", "/decisions", name="mo.manager",
                        params={"approval": "pending", "limit": 500}).json()["items"]
    assert older["id"] not in [item["contact_id"] for item in pending]

    page.get_by_role("link", name="Sign-off", exact=True).click()
    expect(page.get_by_role("link", name=newer["reference"])).to_be_visible()
    expect(page.get_by_role("link", name=older["reference"])).to_have_count(0)
    assert watched.dialogs == [] and watched.errors == []


def test_a_manager_signing_off_his_own_decision_sees_the_servers_refusal_beside_the_note(
        site, watched, axe, snap):
    page = watched.page
    contact = post_contact(site, hours_ago=4, given="Zara")
    decide(site, contact, name="mo.manager")
    page.goto(f"/console/contact?id={contact['id']}")
    sign_in(page, "mo.manager")
    form = page.get_by_role("form", name="Sign off this decision")
    form.get_by_label("Note (optional)").fill("Signing my own.")
    form.get_by_role("button", name="Sign off decision").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("A manager cannot approve their own decision.")
    message = page.locator("#sign-off-note-error")
    expect(message).to_contain_text("A manager cannot approve their own decision.")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#sign-off-note")
    expect(form.get_by_label("Note (optional)")).to_have_value("Signing my own.")
    expect(page).to_have_title(re.compile("^Error: "))
    axe(page, "own decision refused")
    snap(page, "sign-off-own-refused")
    assert decisions_of(site, contact)[0]["approval"] is None
    assert watched.dialogs == [] and watched.errors == []


def test_a_step_up_requested_on_a_contact_is_refused_with_reasons_and_another_accepted(
        site, watched, axe, snap):
    page = watched.page
    refused = post_contact(site, hours_ago=8, given="Ruby", consent="given")
    decide(site, refused, "early_help")
    accepted = post_contact(site, hours_ago=7, given="Theo", consent="given")
    decide(site, accepted, "early_help")

    page.goto(f"/console/contact?id={refused['id']}")
    sign_in(page, "eli.earlyhelp")
    # A practitioner signs nothing off, and has no inbox for it.
    expect(page.get_by_role("form", name="Sign off this decision")).to_have_count(0)
    expect(page.get_by_role("link", name="Sign-off", exact=True)).to_have_count(0)
    form = page.get_by_role("form", name="Request a step-up or step-down for Ruby Hughes")
    axe(page, "contact with the step-up form")
    form.get_by_label("Step-up (early help to social care)").check()
    form.get_by_label("Why the child should move").fill(STEP_UP_WHY)
    form.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("alert")).to_contain_text(
        re.compile(r"Step-up requested for Ruby Hughes \(T-\d{4}-\d+\)\. Social care must respond by"))
    axe(page, "contact, step-up requested")
    snap(page, "contact-step-up-requested")
    child_of_refused = refused["children"][0]["id"]
    # Another, requested ten days ago (as recorded late): its response is overdue.
    other = site.call("POST", "/transitions", name="eli.earlyhelp", json={
        "child_id": accepted["children"][0]["id"], "direction": "step_up",
        "rationale": STEP_UP_WHY, "requested_at": iso(datetime.now(UTC) - timedelta(days=10))})
    assert other.status_code == 201, other.text

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "sam.social")
    page.get_by_role("link", name="Step-up and step-down", exact=True).click()
    expect(page.get_by_role("heading", name="Step-up and step-down requests")).to_be_visible()
    expect(page.get_by_text(re.compile("into social care"))).to_be_visible()
    ruby = page.locator(".govuk-summary-card").filter(has_text="Ruby Hughes")
    theo = page.locator(".govuk-summary-card").filter(has_text="Theo Hughes")
    expect(ruby).to_contain_text("Open")
    expect(ruby).to_contain_text(STEP_UP_WHY)
    expect(ruby).to_contain_text("by eli.earlyhelp")
    expect(ruby).to_contain_text(re.compile(r"\d+ days?( \d+ hours?)? left"))
    expect(theo).to_contain_text("Overdue")
    expect(theo.locator(".govuk-tag--red")).to_have_count(2)  # the card's, and "Overdue by ..."
    expect(theo).to_contain_text(re.compile(r"Overdue by \d+ days?"))
    # The soonest due first: the overdue one above the one requested today.
    cards = page.locator(".govuk-summary-card").filter(
        has_text=re.compile("Ruby Hughes|Theo Hughes")).all_inner_texts()
    assert ["Theo" in card for card in cards] == [True, False]
    axe(page, "transitions awaiting a response")
    snap(page, "transitions-inbox")

    # Refusing without reasons: the server's 422 beside the reasons.
    ruby.get_by_label("Refuse").check()
    ruby.get_by_role("button", name="Send response").click()
    expect(ruby.locator(".govuk-error-summary")).to_be_visible()
    expect(ruby.locator(".govuk-error-message")).to_have_count(1)
    expect(ruby.get_by_label("Reasons")).to_have_attribute(
        "aria-describedby", re.compile(r"-rationale-error\b"))
    axe(page, "refusal without reasons (422)")
    snap(page, "transitions-refusal-422")

    ruby.get_by_label("Reasons").fill(REFUSAL)
    ruby.get_by_role("button", name="Send response").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"Step-up T-\d{4}-\d+ refused\."))
    answered = page.get_by_role("region", name=re.compile("Answered and withdrawn"))
    expect(answered.get_by_role("row").filter(has_text="Ruby Hughes")).to_contain_text("Refused")
    expect(answered.get_by_role("row").filter(has_text="Ruby Hughes")).to_contain_text(REFUSAL)
    expect(page.locator(".govuk-summary-card").filter(has_text="Ruby Hughes")).to_have_count(0)
    axe(page, "a step-up refused")
    snap(page, "transitions-refused")

    theo = page.locator(".govuk-summary-card").filter(has_text="Theo Hughes")
    theo.get_by_label("Accept").check()
    theo.get_by_role("button", name="Send response").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"Step-up T-\d{4}-\d+ accepted\."))
    expect(answered.get_by_role("row").filter(has_text="Theo Hughes")).to_contain_text("Accepted")
    expect(answered.get_by_role("row").filter(has_text="Theo Hughes")).to_contain_text("by sam.social")
    axe(page, "a step-up accepted")

    listed = site.call("GET", "/transitions", name="sam.social",
                       params={"to_service": "social_care", "limit": 500}).json()["items"]
    by_child = {item["child_id"]: item for item in listed}
    assert by_child[child_of_refused]["status"] == "refused"
    assert by_child[child_of_refused]["response"]["rationale"] == REFUSAL
    assert by_child[child_of_refused]["requested_by"] == "eli.earlyhelp"
    assert by_child[accepted["children"][0]["id"]]["status"] == "accepted"
    assert watched.dialogs == [] and watched.errors == []


def test_a_step_down_without_a_plan_shows_the_servers_refusal_beside_the_plan(
        site, watched, axe, snap):
    page = watched.page
    contact = post_contact(site, hours_ago=5, given="Mia", consent="given")
    decide(site, contact, "assessment")
    page.goto(f"/console/contact?id={contact['id']}")
    sign_in(page, "priya.mash")
    form = page.get_by_role("form", name="Request a step-up or step-down for Mia Hughes")
    form.get_by_label("Step-down (social care to early help)").check()
    form.get_by_label("Why the child should move").fill(
        "The assessment found needs early help can meet: the family asks for parenting support.")
    form.get_by_role("button", name="Send request").click()

    summary = form.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    beside = page.locator("#transition-0-plan-summary-error")
    expect(beside).to_contain_text("A step-down needs a plan")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#transition-0-plan-summary")
    axe(page, "step-down without a plan (422)")
    snap(page, "contact-step-down-422")

    # A plan without expected outcomes: the server names them.
    form.get_by_label("Plan summary").fill("Family support worker visits weekly for 12 weeks.")
    form.get_by_role("button", name="Send request").click()
    expect(page.locator("#transition-0-plan-outcomes-error")).to_be_visible()
    expect(page.locator("#transition-0-plan-summary-error")).to_have_count(0)
    axe(page, "step-down without expected outcomes (422)")

    form.get_by_label("Expected outcomes").fill("Regular school attendance\nA calmer home routine")
    form.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("alert")).to_contain_text("Step-down requested for Mia Hughes")
    expect(page.get_by_role("alert")).to_contain_text("Early help must respond by")
    listed = site.call("GET", "/transitions", params={"from_service": "social_care",
                                                     "limit": 500}).json()["items"]
    made = [item for item in listed if item["child_id"] == contact["children"][0]["id"]]
    assert [(item["direction"], item["plan"]["expected_outcomes"]) for item in made] == [
        ("step_down", ["Regular school attendance", "A calmer home routine"])]
    assert watched.dialogs == [] and watched.errors == []
