"""The console and a contact's RAG rating: set and changed on the contact page (the server's 422
beside its field, the history growing, the decision due time moving), shown in the queue, shown
to an auditor without a form, and no form once the contact is decided."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.console.steps import RATIONALE, post_contact, queue_references, sign_in

pytestmark = pytest.mark.needs_browser

REASON = "The child told her teacher she is scared to go home; bruising on her arm today."


def rate(site, contact, rating, reason=REASON):
    answer = site.call("POST", f"/contacts/{contact['id']}/rag", json={"rating": rating, "reason": reason})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_practitioner_sets_and_changes_a_contacts_rag_rating(site, watched, axe, snap):
    page = watched.page
    contact = post_contact(site, hours_ago=1, given="Rosa")
    page.goto(f"/console/contact?id={contact['id']}")
    sign_in(page)
    section = page.get_by_role("heading", name="RAG rating", level=2)
    expect(section).to_be_visible()
    expect(page.locator(".govuk-summary-list").filter(has_text="Current rating")).to_contain_text("Not rated")
    form = page.get_by_role("form", name="Set the RAG rating")

    # A reason too short to be one: the server's message beside it, nothing recorded.
    form.get_by_label("Red", exact=True).check()
    form.get_by_label("Why this rating").fill("Urgent")
    form.get_by_role("button", name="Set RAG rating").click()
    expect(page.locator("#rag-reason-error")).to_contain_text("at least 20 characters")
    assert site.call("GET", f"/contacts/{contact['id']}").json()["rag"] is None
    axe(page, "RAG rating refused without a real reason")
    snap(page, "rag-422")

    form.get_by_label("Why this rating").fill(REASON)
    form.get_by_role("button", name="Set RAG rating").click()
    expect(page.get_by_role("alert")).to_contain_text("RAG rating set: Red.")
    current = page.locator(".govuk-summary-list").filter(has_text="Current rating")
    expect(current.locator(".govuk-tag--red")).to_have_text("Red")
    expect(current).to_contain_text(REASON)
    expect(current).to_contain_text("by priya.mash")
    answer = site.call("GET", f"/contacts/{contact['id']}").json()
    assert answer["rag"]["rating"] == "red"
    received = datetime.fromisoformat(contact["received_at"].replace("Z", "+00:00"))
    due = datetime.fromisoformat(answer["decision_due_at"].replace("Z", "+00:00"))
    assert due == received + timedelta(hours=4)
    # The overview's decision due time is the red deadline, three hours from now (London time).
    london_due = due.astimezone(ZoneInfo("Europe/London"))
    expect(page.locator(".govuk-summary-list").filter(has_text="Decision due")).to_contain_text(
        f"{london_due:%H:%M}")
    axe(page, "RAG rating set")
    snap(page, "rag-red")

    change = page.get_by_role("form", name="Change the RAG rating")
    expect(change).to_be_hidden()
    page.get_by_text("Change the RAG rating").click()
    change.get_by_label("Green", exact=True).check()
    change.get_by_label("Why this rating").fill(
        "Police confirm the adult has left; the child is with her grandmother tonight.")
    page.get_by_role("button", name="Change RAG rating").click()
    expect(page.get_by_role("alert")).to_contain_text("RAG rating set: Green.")
    history = page.get_by_role("table", name=re.compile("RAG ratings"))
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(history.locator("tbody tr").first.locator(".govuk-tag--red")).to_have_text("Red")
    expect(history.locator("tbody tr").last.locator(".govuk-tag--green")).to_have_text("Green")
    assert [r["rating"] for r in site.call("GET", f"/contacts/{contact['id']}").json()["rag_history"]] == \
        ["red", "green"]
    axe(page, "RAG rating changed, with its history")
    snap(page, "rag-history")
    assert watched.dialogs == [] and watched.errors == []


def test_the_queue_shows_each_rating_and_puts_a_red_contact_first(site, watched, axe, snap):
    page = watched.page
    unrated = post_contact(site, hours_ago=2, given="Tomasz")
    red = post_contact(site, hours_ago=1, given="Una")
    amber = post_contact(site, hours_ago=3, given="Vik")
    rate(site, red, "red")
    rate(site, amber, "amber", "Neglect concerns from the school; no injury; family known to early help.")
    page.goto("/console/")
    sign_in(page)

    region = page.get_by_role("region", name=re.compile("Contacts awaiting a decision"))
    expect(region.get_by_role("columnheader", name="RAG rating")).to_be_visible()
    rows = {c["reference"]: region.get_by_role("row").filter(has_text=c["reference"])
            for c in (unrated, red, amber)}
    expect(rows[red["reference"]].locator(".govuk-tag--red")).to_have_text("Red")
    expect(rows[amber["reference"]].locator(".govuk-tag--orange")).to_have_text("Amber")
    expect(rows[unrated["reference"]]).to_contain_text("Not rated")
    references = [r for r in queue_references(page)
                  if r in {unrated["reference"], red["reference"], amber["reference"]}]
    assert references[0] == red["reference"]  # due within hours, the others at a day's end
    axe(page, "queue with RAG ratings")
    snap(page, "rag-queue")
    assert watched.dialogs == [] and watched.errors == []


def test_an_auditor_sees_the_rating_without_a_form_and_a_decided_contact_has_none(site, watched, axe):
    page = watched.page
    contact = post_contact(site, hours_ago=2, given="Wren")
    rate(site, contact, "amber", "Neglect concerns from the school; no injury; family known to early help.")
    decided = post_contact(site, hours_ago=2, given="Xavi")
    rate(site, decided, "green")
    answer = site.call("POST", f"/contacts/{decided['id']}/decisions",
                       json={"outcome": "strategy_discussion", "rationale": RATIONALE})
    assert answer.status_code == 201, answer.text

    page.goto(f"/console/contact?id={contact['id']}")
    sign_in(page, "ava.auditor")
    current = page.locator(".govuk-summary-list").filter(has_text="Current rating")
    expect(current.locator(".govuk-tag--orange")).to_have_text("Amber")
    expect(page.get_by_role("button", name=re.compile("RAG rating"))).to_have_count(0)
    axe(page, "RAG rating as an auditor sees it")

    page.goto(f"/console/contact?id={decided['id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(decided["reference"])
    expect(page.locator(".govuk-summary-list").filter(has_text="Current rating")
           .locator(".govuk-tag--green")).to_have_text("Green")
    expect(page.get_by_role("form", name=re.compile("RAG rating"))).to_have_count(0)
    assert watched.dialogs == [] and watched.errors == []
