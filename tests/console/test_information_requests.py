"""The console and a contact's information requests to partner agencies: several agencies asked at
once (one request each, due by the contact's rating), an agency asked meanwhile refused by name
while the others are asked, the form's own and the server's errors beside their fields, an answer
shown with its Late tag, an open request past its time tagged Overdue, a request withdrawn from the
page, a decision that withdraws the open requests or keeps them open (and an answer after it
flagged), and an auditor's view without forms.

The server here gives a red contact's request no time at all (INFORMATION_RED_HOURS=0): it is
overdue as soon as it is asked, and any answer to it is late, without waiting two real hours. An
unrated contact's requests keep the usual four working hours."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.console.steps import RATIONALE, post_contact, sign_in

pytestmark = pytest.mark.needs_browser

SERVER_ENVIRONMENT = {"INFORMATION_RED_HOURS": "0"}

QUESTION = "Is the family known to you? Any incidents at the address in the last year?"
POLICE, GP, HOUSING = "West Midlands Police", "Hill Top Medical Practice", "Council Housing Service"


def contact_requests(site, contact, name="priya.mash"):
    return site.call("GET", f"/contacts/{contact['id']}", name=name).json()["information_requests"]


def ask(site, contact, agency, name="priya.mash", question=QUESTION):
    answer = site.call("POST", f"/contacts/{contact['id']}/information-requests", name=name, json={
        "agency": agency, "question": question,
        "child_ids": [child["id"] for child in contact["children"]]})
    assert answer.status_code == 201, answer.text
    return answer.json()


def respond(site, request, client, **body):
    answer = site.call("POST", f"/information-requests/{request['id']}/response", name=client,
                       json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def card(page, agency):
    """The request to `agency` (its card, headed by the agency's name)."""
    return page.locator(".govuk-summary-card").filter(
        has=page.get_by_role("heading", name=agency, level=3, exact=True))


def london_time(iso):
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo("Europe/London"))


def test_a_practitioner_asks_two_agencies_at_once_and_each_request_is_recorded(site, watched, axe, snap):
    page = watched.page
    contact = post_contact(site, hours_ago=1, given="Lily")
    page.goto(f"/console/contact?id={contact['id']}")
    sign_in(page)
    expect(page.get_by_role("heading", name="Information requests", level=2)).to_be_visible()
    expect(page.get_by_text("No partner agency has been asked for information yet.")).to_be_visible()
    form = page.get_by_role("form", name="Ask partner agencies")
    children = form.get_by_role("group", name="Children asked about")
    expect(children.get_by_label("Lily Hughes")).to_be_checked()
    # Members of the public are not offered.
    expect(form.get_by_role("group", name="Agencies to ask").get_by_label("Anonymous")).to_have_count(0)

    # No agency ticked: the form says so beside the question and nothing is sent.
    form.get_by_label("Question").fill(QUESTION)
    form.get_by_role("button", name="Send requests").click()
    expect(page.locator("#ask-agency-error")).to_contain_text("Select at least one agency to ask.")
    expect(form.locator(".govuk-error-summary")).to_contain_text("Select at least one agency to ask.")
    expect(page).to_have_title(re.compile("^Error: "))
    assert contact_requests(site, contact) == []
    axe(page, "asking with no agency ticked")
    snap(page, "requests-no-agency")

    # No question and no child: the server's messages beside those fields, nothing recorded.
    form.get_by_label(POLICE).check()
    form.get_by_label("Question").fill("")
    children.get_by_label("Lily Hughes").uncheck()
    form.get_by_role("button", name="Send requests").click()
    expect(page.locator("#ask-question-error")).to_contain_text("Missing data for required field.")
    expect(page.locator("#ask-children-error")).to_be_visible()
    expect(page.locator("#ask-agency-error")).to_have_count(0)
    assert contact_requests(site, contact) == []
    axe(page, "asking refused by the server")

    children.get_by_label("Lily Hughes").check()
    form.get_by_label("Question").fill(QUESTION + "\nAnd the school's attendance concerns?")
    form.get_by_label(GP).check()
    form.get_by_role("button", name="Send requests").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Information requested from {GP} and {POLICE}.")

    requests = contact_requests(site, contact)
    assert [(r["agency"], r["status"], r["requested_by"]) for r in requests] == [
        ("hilltop-gp", "open", "priya.mash"), ("wmp", "open", "priya.mash")]
    assert {r["question"] for r in requests} == {QUESTION + "\nAnd the school's attendance concerns?"}
    assert [[c["id"] for c in r["children"]] for r in requests] == [[contact["children"][0]["id"]]] * 2
    for request, agency in zip(requests, (GP, POLICE)):
        shown = card(page, agency)
        expect(shown.locator(".govuk-tag").first).to_have_text("Open")
        due = shown.locator(f'time[datetime="{request["due_at"]}"]')
        expect(due).to_contain_text(f"{london_time(request['due_at']):%H:%M}")
        expect(shown).to_contain_text("Lily Hughes")
        expect(shown).to_contain_text("by priya.mash")
        expect(shown.get_by_text("Overdue")).to_have_count(0)
        assert request["overdue"] is False
    expect(card(page, POLICE).locator(".app-preserve").first).to_have_text(
        QUESTION + "\nAnd the school's attendance concerns?")
    # The form to ask is folded under the requests now. Neither agency is offered again while its
    # request is open; the hint says why.
    form = page.get_by_role("form", name="Ask partner agencies")
    expect(form).to_be_hidden()
    page.locator("summary").filter(has_text="Ask partner agencies").click()
    agencies = form.get_by_role("group", name="Agencies to ask")
    for agency in (POLICE, GP):
        expect(agencies.get_by_label(agency)).to_have_count(0)
    gp_due, police_due = (f"{london_time(r['due_at']):%H:%M}" for r in requests)
    expect(agencies).to_contain_text(re.compile(
        rf"Not offered: {GP} \(due [^)]*{gp_due}\) and {POLICE} \(due [^)]*{police_due}\), already "
        "asked; an agency can be asked again once it answers or its request is withdrawn."))
    expect(agencies.get_by_label(HOUSING)).not_to_be_checked()
    expect(form.get_by_label("Question")).to_have_value("")
    axe(page, "two requests open")
    snap(page, "requests-open")
    assert watched.dialogs == [] and watched.errors == []


def test_an_agency_asked_meanwhile_is_named_as_not_asked_and_the_others_are_asked(site, watched, axe, snap):
    page = watched.page
    contact = post_contact(site, hours_ago=2, given="Milo")
    page.goto(f"/console/contact?id={contact['id']}")
    sign_in(page)
    form = page.get_by_role("form", name="Ask partner agencies")
    form.get_by_label(HOUSING).check()
    form.get_by_label(GP).check()
    form.get_by_label("Question").fill(QUESTION)
    ask(site, contact, "hilltop-gp", name="mo.manager")  # while the form is being filled in

    form.get_by_role("button", name="Send requests").click()
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("1 of 2 agencies asked")
    expect(banner).to_contain_text(f"Asked: {HOUSING}.")
    expect(banner).to_contain_text(f"Not asked: {GP} already has an open request on this contact")
    requests = contact_requests(site, contact)
    assert [(r["agency"], r["requested_by"]) for r in requests] == [
        ("hilltop-gp", "mo.manager"), ("housing", "priya.mash")]
    # What was typed is kept (the form unfolded); both agencies now hold an open request, so
    # neither is offered.
    form = page.get_by_role("form", name="Ask partner agencies")
    expect(form).to_be_visible()
    expect(form.get_by_label("Question")).to_have_value(QUESTION)
    expect(form.get_by_label("Milo Hughes")).to_be_checked()
    for agency in (HOUSING, GP):
        expect(form.get_by_label(agency)).to_have_count(0)
    expect(form.get_by_role("group", name="Agencies to ask")).to_contain_text(f"Not offered: {GP} (due ")
    expect(card(page, GP)).to_contain_text("by mo.manager")
    axe(page, "some agencies asked, one refused")
    snap(page, "requests-partly-asked")

    # Only one agency ticked, and it is asked meanwhile: refused beside the agencies, nothing more
    # recorded, the question still there.
    camhs = "Child and Adolescent Mental Health Services"
    form.get_by_label(camhs).check()
    ask(site, contact, "camhs", name="mo.manager")
    form.get_by_role("button", name="Send requests").click()
    expect(page.locator("#ask-agency-error")).to_contain_text(
        f"{camhs} already has an open request on this contact")
    expect(form.locator(".govuk-error-summary")).to_contain_text(f"{camhs} already has an open request")
    assert [r["agency"] for r in contact_requests(site, contact)] == ["hilltop-gp", "housing", "camhs"]
    expect(form.get_by_label("Question")).to_have_value(QUESTION)
    axe(page, "the only agency ticked refused")
    assert watched.dialogs == [] and watched.errors == []


def test_an_answer_is_shown_late_an_unanswered_request_overdue_and_one_is_withdrawn(
        site, watched, axe, snap):
    page = watched.page
    contact = post_contact(site, hours_ago=1, given="Nina")
    rated = site.call("POST", f"/contacts/{contact['id']}/rag", json={
        "rating": "red", "reason": "The child told her teacher she is scared to go home tonight."})
    assert rated.status_code == 201, rated.text
    police = ask(site, contact, "wmp")
    gp = ask(site, contact, "hilltop-gp")
    information = "Two call-outs to the address this year.\nThe last on 2 March: a neighbour heard shouting."
    answered = respond(site, police, "wmp-case-system", known=True, information=information)
    assert answered["response"]["within_deadline"] is False

    page.goto(f"/console/contact?id={contact['id']}")
    sign_in(page)
    shown = card(page, POLICE)
    expect(shown.locator(".govuk-tag--green")).to_have_text("Answered")
    expect(shown).to_contain_text("Known to the agency")
    expect(shown.locator(".app-preserve").filter(has_text="Two call-outs")).to_have_text(information)
    expect(shown.locator(".govuk-tag--orange")).to_have_text("Late")
    expect(shown.get_by_text("After the decision")).to_have_count(0)
    expect(shown.get_by_text("Overdue")).to_have_count(0)
    expect(shown.get_by_text("Withdraw this request")).to_have_count(0)
    open_one = card(page, GP)
    expect(open_one.locator(".govuk-tag--red")).to_have_text("Overdue")
    assert [r["overdue"] for r in contact_requests(site, contact)] == [False, True]
    axe(page, "an answer late and a request overdue")
    snap(page, "requests-late-and-overdue")

    # Withdrawn from the page: a reason is needed (the server's message beside it), then it is.
    withdraw = open_one.get_by_role("form", name=f"Withdraw the request to {GP}")
    expect(withdraw).to_be_hidden()
    open_one.get_by_text("Withdraw this request").click()
    withdraw.get_by_role("button", name="Withdraw request").click()
    expect(page.locator(f"#withdraw-reason-{gp['id']}-error")).to_contain_text("Missing data")
    assert contact_requests(site, contact)[1]["status"] == "open"
    axe(page, "withdrawal refused without a reason")
    snap(page, "requests-withdrawal-refused")
    withdraw.get_by_label("Why is it no longer needed?").fill("The police answer is enough to decide.")
    withdraw.get_by_role("button", name="Withdraw request").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Request to {GP} withdrawn.")
    withdrawn = contact_requests(site, contact)[1]
    assert (withdrawn["status"], withdrawn["withdrawn_by"], withdrawn["withdrawal_reason"]) == (
        "withdrawn", "priya.mash", "The police answer is enough to decide.")
    open_one = card(page, GP)
    expect(open_one.locator(".govuk-tag--grey")).to_have_text("Withdrawn")
    expect(open_one).to_contain_text("The police answer is enough to decide.")
    expect(open_one.get_by_text("Overdue")).to_have_count(0)
    expect(open_one.get_by_text("Withdraw this request")).to_have_count(0)
    # Once withdrawn, the agency may be asked again.
    page.locator("summary").filter(has_text="Ask partner agencies").click()
    expect(page.get_by_role("form", name="Ask partner agencies").get_by_label(GP)).to_be_visible()
    expect(page.get_by_role("form", name="Ask partner agencies").get_by_label(POLICE)).to_be_visible()
    axe(page, "a request withdrawn")
    snap(page, "requests-withdrawn")
    assert watched.dialogs == [] and watched.errors == []


def decide(page, *, keep_open=False):
    form = page.get_by_role("form", name="Record a threshold decision")
    form.get_by_role("group", name="Outcome").get_by_label("Assessment (section 17)").check()
    form.get_by_label("Rationale").fill(RATIONALE)
    if keep_open:
        form.get_by_label("Keep the open information requests open").check()
    form.get_by_role("button", name="Record decision").click()


def test_a_decision_withdraws_the_open_requests_unless_kept_open_and_a_later_answer_is_flagged(
        site, watched, axe, snap):
    page = watched.page
    contact = post_contact(site, hours_ago=3, given="Omar", consent="given")
    ask(site, contact, "wmp")
    page.goto(f"/console/contact?id={contact['id']}")
    sign_in(page)
    form = page.get_by_role("form", name="Record a threshold decision")
    choice = form.get_by_role("group", name="Open information requests")
    expect(choice).to_contain_text(f"Not answered yet: {POLICE} (due")
    expect(choice).to_contain_text("withdraws it with the reason “decided without it”")
    expect(choice.get_by_label("Keep the open information requests open")).not_to_be_checked()
    axe(page, "decision form with a request open")
    snap(page, "requests-decision-form")

    decide(page)
    expect(page.get_by_role("alert")).to_contain_text(
        "Decision recorded: Assessment (section 17). 1 information request withdrawn, decided without it.")
    [request] = contact_requests(site, contact)
    assert (request["status"], request["withdrawal_reason"]) == ("withdrawn", "decided without it")
    shown = card(page, POLICE)
    expect(shown.locator(".govuk-tag--grey")).to_have_text("Withdrawn")
    expect(shown).to_contain_text("decided without it")
    expect(page.get_by_role("form", name="Ask partner agencies")).to_have_count(0)
    axe(page, "requests withdrawn by the decision")

    # Kept open: the agencies' answers still come, one after the decision flagged as such.
    kept = post_contact(site, hours_ago=3, given="Pia", consent="given")
    ask(site, kept, "wmp")
    gp = ask(site, kept, "hilltop-gp")
    page.goto(f"/console/contact?id={kept['id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(kept["reference"])
    expect(page.get_by_role("group", name="Open information requests")).to_contain_text(
        f"{GP} (due")
    decide(page, keep_open=True)
    expect(page.get_by_role("alert")).to_contain_text("2 information requests kept open.")
    assert [r["status"] for r in contact_requests(site, kept)] == ["open", "open"]
    respond(site, gp, "hilltop-gp-system", known=False)
    page.reload()
    shown = card(page, GP)
    expect(shown.locator(".govuk-tag--green")).to_have_text("Answered")
    expect(shown).to_contain_text("Not known to the agency")
    expect(shown.locator(".govuk-tag--purple")).to_have_text("After the decision")
    expect(shown.get_by_text("Late")).to_have_count(0)
    assert contact_requests(site, kept)[1]["response"]["after_decision"] is True
    # The one still open can be withdrawn after the decision too.
    expect(card(page, POLICE).get_by_text("Withdraw this request")).to_be_visible()
    # A new decision would ask again about the one still open.
    page.get_by_text("Record a new threshold decision").click()
    expect(page.get_by_role("group", name="Open information requests")).to_contain_text(
        f"Not answered yet: {POLICE} (due")
    axe(page, "an answer after the decision")
    snap(page, "requests-after-decision")
    assert watched.dialogs == [] and watched.errors == []


def test_an_auditor_sees_the_requests_without_any_form(site, watched, axe, snap):
    page = watched.page
    contact = post_contact(site, hours_ago=2, given="Quinn")
    police = ask(site, contact, "wmp")
    ask(site, contact, "hilltop-gp")
    respond(site, police, "wmp-case-system", known=True, information="One call-out in January.")

    page.goto(f"/console/contact?id={contact['id']}")
    sign_in(page, "ava.auditor")
    expect(page.get_by_role("heading", name="Information requests", level=2)).to_be_visible()
    expect(card(page, POLICE)).to_contain_text("One call-out in January.")
    expect(card(page, GP).locator(".govuk-tag").first).to_have_text("Open")
    expect(page.get_by_role("form", name="Ask partner agencies")).to_have_count(0)
    expect(page.get_by_text("Withdraw this request")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Send requests|Withdraw request"))).to_have_count(0)
    axe(page, "information requests as an auditor sees them")
    snap(page, "requests-auditor")
    assert watched.dialogs == [] and watched.errors == []
