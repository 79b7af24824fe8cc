"""Children in the console, in Chromium: finding a child (by NHS number, and the API's 422s beside
the fields they name), a child's page with the contacts about them and their chronology (each
event linked to its contact), the possible matches on a contact confirmed or rejected, and markup
in a child's name shown as text. Each page and state walked is checked with axe (WCAG 2.2 AA) and
screenshotted at two widths."""

import random
import re
import string
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.console.steps import MARKUP, RATIONALE, iso, sign_in
from tests.helpers import new_nhs_number

pytestmark = pytest.mark.needs_browser

REASON = "The school confirmed her date of birth and address with her mother."


def unique_name():
    """A family name of its own, so no other test's child is a possible match."""
    return "Hughes-" + "".join(random.choices(string.ascii_lowercase, k=8)).capitalize()


def contact_about(site, child, *, hours_ago=2, consent="given"):
    """A contact (made by a practitioner through the API) about one child given as `child`."""
    body = {
        "received_at": iso(datetime.now(UTC) - timedelta(hours=hours_ago)),
        "source_agency": "wmp", "channel": "phone",
        "referrer": {"name": "PC Jane Doe", "role": "Officer"},
        "children": [{"date_of_birth": "2019-04-02", **child}],
        "concerns": {"categories": ["domestic_abuse"],
                     "summary": "Police attended a domestic incident at home."},
        "consent": {"status": "given", "given_by": "Mother"} if consent == "given"
        else {"status": consent, "reason": "Seeking consent could place the child at risk."},
    }
    answer = site.call("POST", "/contacts", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def read(site, path, name="priya.mash"):
    answer = site.call("GET", path, name=name)
    assert answer.status_code == 200, answer.text
    return answer.json()


# ---- finding a child -----------------------------------------------------------------------------


def test_a_search_by_nhs_number_finds_the_child_and_links_to_their_page(site, watched, axe, snap):
    page = watched.page
    family, nhs = unique_name(), new_nhs_number()
    contact = contact_about(site, {"given_name": "Amelia", "family_name": family, "nhs_number": nhs,
                                   "local_child_id": f"LC-{uuid.uuid4().hex[:8]}"})
    child = contact["children"][0]

    page.goto("/console/")
    sign_in(page)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Find a child").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a child")
    axe(page, "find a child")
    snap(page, "children-search")

    # Spaced as it is often written.
    page.get_by_label("NHS number").fill(f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 child matches")).to_be_focused()
    results = page.get_by_role("table", name="Children matching the search")
    rows = results.get_by_role("row")
    expect(rows).to_have_count(2)  # the headings and one child
    expect(rows.nth(1)).to_contain_text(f"Amelia {family}")
    expect(rows.nth(1)).to_contain_text("2 Apr 2019")
    expect(rows.nth(1)).to_contain_text(nhs)
    expect(rows.nth(1)).to_contain_text(child["local_child_id"])
    expect(page).to_have_url(re.compile(r"/console/children\?nhs_number="))
    axe(page, "find a child: one found")
    snap(page, "children-found")

    results.get_by_role("link", name=f"Amelia {family}").click()
    expect(page).to_have_url(re.compile(rf"/console/child\?id={child['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Amelia {family}")
    expect(page.locator(".govuk-summary-list")).to_contain_text(nhs)

    # Back to the results, the search kept; then a search that finds no one.
    page.go_back()
    expect(page.get_by_role("table", name="Children matching the search")).to_contain_text(family)
    expect(page.get_by_label("NHS number")).to_have_value(re.compile(nhs[6:]))
    page.get_by_label("NHS number").fill("")
    page.get_by_label("Local child id").fill("LC-NOBODY-HAS-THIS")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="No children match")).to_be_visible()
    expect(page.get_by_role("table", name="Children matching the search")).to_have_count(0)
    axe(page, "find a child: no children match")
    snap(page, "children-none")
    assert watched.dialogs == [] and watched.errors == []


def test_a_malformed_nhs_number_is_refused_beside_its_field_and_a_missing_date_beside_the_date(
        site, watched, axe, snap):
    page = watched.page
    page.goto("/console/children")
    sign_in(page)
    page.get_by_label("NHS number").fill("123 456")
    page.get_by_role("button", name="Search").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    message = page.locator("#nhs-number-error")
    expect(message).to_be_visible()
    server_says = message.inner_text().removeprefix("Error:").strip()
    assert server_says
    expect(summary.get_by_role("link", name=server_says)).to_have_attribute("href", "#nhs-number")
    expect(page.get_by_label("NHS number")).to_have_attribute(
        "aria-describedby", re.compile(r"\bnhs-number-error\b"))
    expect(page.get_by_label("NHS number")).to_have_value("123 456")
    expect(page).to_have_title(re.compile("^Error: "))
    assert page.locator(".govuk-error-message").count() == 1
    axe(page, "find a child: malformed NHS number (422)")
    snap(page, "children-422-nhs")

    # A name without a date of birth: the API's message above the three date fields.
    page.get_by_label("NHS number").fill("")
    page.get_by_label("Family name").fill("Hughes")
    page.get_by_label("Given name").fill("Amelia")
    page.get_by_role("button", name="Search").click()
    date_error = page.locator("#date-of-birth-error")
    expect(date_error).to_contain_text("Required with family_name")
    expect(page.locator("#nhs-number-error")).to_have_count(0)
    expect(page.get_by_role("group", name="Date of birth", exact=True)).to_have_attribute(
        "aria-describedby", re.compile(r"\bdate-of-birth-error\b"))
    expect(page.get_by_label("Day")).to_have_class(re.compile("govuk-input--error"))
    expect(summary.get_by_role("link")).to_have_attribute("href", "#date-of-birth-day")
    axe(page, "find a child: no date of birth (422)")
    snap(page, "children-422-date")

    # The whole criterion: the error goes, and the child (none here) is searched for.
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("4")
    page.get_by_label("Year").fill("2019")
    page.get_by_label("Family name").fill(unique_name())
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="No children match")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"date_of_birth=2019-04-02"))
    assert watched.dialogs == [] and watched.errors == []


# ---- a child's page ------------------------------------------------------------------------------


def test_a_childs_page_shows_their_contacts_and_chronology_each_event_opening_its_contact(
        site, watched, axe, snap):
    page = watched.page
    family, nhs = unique_name(), new_nhs_number()
    first = contact_about(site, {"given_name": "Isla", "family_name": family, "nhs_number": nhs},
                          hours_ago=30)
    second = contact_about(site, {"given_name": "Isla", "family_name": family, "nhs_number": nhs},
                           hours_ago=3)
    child_id = first["children"][0]["id"]
    assert second["children"][0]["id"] == child_id
    decided = site.call("POST", f"/contacts/{first['id']}/decisions",
                        json={"outcome": "assessment", "rationale": RATIONALE})
    assert decided.status_code == 201, decided.text

    page.goto(f"/console/child?id={child_id}")
    sign_in(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Isla {family}")
    expect(page).to_have_title(f"Isla {family} – MASH front door")
    contacts = page.get_by_role("table", name="Contacts about this child, oldest first")
    expect(contacts.get_by_role("link")).to_have_text([first["reference"], second["reference"]])
    expect(contacts).to_contain_text("West Midlands Police")

    chronology = page.get_by_role("table", name="Chronology, newest first")
    rows = chronology.locator("tbody tr")
    # Both contacts (received, and their consent recorded just now) and the decision on the
    # first, newest first.
    expect(rows).to_have_count(5)
    instants = chronology.locator("time").evaluate_all("(times) => times.map((t) => t.dateTime)")
    assert instants == sorted(instants, reverse=True)
    texts = rows.all_inner_texts()
    received = [texts.index(text) for ref in (second["reference"], first["reference"])
                for text in texts if f"Contact {ref} received from West Midlands Police" in text]
    assert received == [3, 4], texts  # the second contact's receipt is the newer
    assert "(domestic abuse)." in texts[3]
    decision = rows.filter(has_text="Threshold decision: Assessment (section 17).")
    expect(decision).to_contain_text("By priya.mash")
    expect(decision.get_by_role("link")).to_have_text(first["reference"])
    expect(rows.filter(has_text="Consent given")).to_have_count(2)
    expect(rows.nth(3).get_by_role("link")).to_have_text(second["reference"])
    expect(rows.nth(4).get_by_role("link")).to_have_text(first["reference"])
    axe(page, "child with two contacts and a decision")
    snap(page, "child")

    decision.get_by_role("link", name=first["reference"]).click()
    expect(page).to_have_url(re.compile(rf"/console/contact\?id={first['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(first["reference"])
    expect(page.get_by_role("heading", level=1)).to_contain_text("Decided")

    # The contact's child links back to the child's page.
    page.get_by_role("table", name=re.compile("children")).get_by_role(
        "link", name=f"Isla {family}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Isla {family}")
    assert watched.dialogs == [] and watched.errors == []


def test_an_auditor_reads_a_childs_page_but_is_not_offered_the_search(site, watched, axe):
    page = watched.page
    family = unique_name()
    contact = contact_about(site, {"given_name": "Noah", "family_name": family,
                                   "nhs_number": new_nhs_number()})
    page.goto(f"/console/child?id={contact['children'][0]['id']}")
    sign_in(page, "ava.auditor")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Noah {family}")
    expect(page.get_by_role("table", name="Chronology, newest first")).to_contain_text(
        contact["reference"])
    menu = page.get_by_role("navigation", name="Menu")
    expect(menu.get_by_role("link", name="Front-door queue")).to_be_visible()
    expect(menu.get_by_role("link", name="Find a child")).to_have_count(0)
    expect(page.get_by_role("link", name="Back to the queue")).to_be_visible()
    axe(page, "child read by an auditor")
    page.goto("/console/children")
    expect(page.get_by_text("Only practitioners and managers can search for children.")).to_be_visible()
    expect(page.get_by_label("NHS number")).to_have_count(0)
    axe(page, "find a child, as an auditor")
    assert watched.dialogs == [] and watched.errors == []


def test_a_child_who_does_not_exist_is_not_found(site, watched, axe, snap):
    page = watched.page
    page.goto(f"/console/child?id={uuid.uuid4()}")
    sign_in(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Child not found")
    expect(page.get_by_text("There is no such child record, or you cannot see this child.")).to_be_visible()
    expect(page.get_by_role("main").get_by_role("link", name="Find a child")).to_have_attribute(
        "href", "/console/children")
    axe(page, "child not found")
    snap(page, "child-not-found")
    # The API's 404s (the child, the chronology) are the answers this page handles: Chromium logs
    # each as a failed load. Anything else is an error.
    not_found = re.compile(r"console: Failed to load resource: .* status of 404 ")
    assert [error for error in watched.errors if not not_found.match(error)] == []
    assert len(watched.errors) <= 2
    assert watched.dialogs == []


@pytest.mark.parametrize("markup", MARKUP)
def test_markup_in_a_childs_name_is_shown_as_text_on_their_page(site, watched, axe, markup):
    page = watched.page
    contact = contact_about(site, {"given_name": markup, "family_name": unique_name(),
                                   "nhs_number": new_nhs_number()})
    child = contact["children"][0]
    page.goto(f"/console/child?id={child['id']}")
    sign_in(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{markup} {child['family_name']}")
    assert page.locator("main script, main img, main b").count() == 0
    axe(page, f"child named {markup}")
    page.wait_for_timeout(300)  # an onerror would have fired by now
    assert watched.dialogs == [] and watched.errors == []


# ---- possible matches on a contact ---------------------------------------------------------------


def possible_match(site):
    """A child on record, and a second contact about her with the same names and date of birth
    but no NHS number: a record of its own, with the first as its possible match."""
    family = unique_name()
    known = contact_about(site, {"given_name": "Amelia", "family_name": family,
                                 "nhs_number": new_nhs_number()}, hours_ago=48)
    weak = contact_about(site, {"given_name": "Amelia", "family_name": family})
    [match] = read(site, f"/contacts/{weak['id']}")["children"][0]["possible_matches"]
    assert match["candidate"]["id"] == known["children"][0]["id"]
    assert match["evidence"] == ["name_and_date_of_birth"]
    return family, known["children"][0], weak


def test_a_possible_match_is_confirmed_on_the_contact_and_the_child_is_linked(
        site, watched, axe, snap):
    page = watched.page
    family, known, weak = possible_match(site)
    made = weak["children"][0]["id"]

    page.goto(f"/console/contact?id={weak['id']}")
    sign_in(page)
    children = page.get_by_role("table", name="The children this contact is about")
    expect(children).to_contain_text("Possible match to check")
    card = page.locator(".govuk-summary-card").filter(has_text="Possible match:")
    expect(card.get_by_role("heading", level=3)).to_have_text(f"Possible match: Amelia {family}")
    candidates = card.get_by_role("table", name=re.compile("may be"))
    expect(candidates.locator("tbody tr")).to_have_count(1)
    expect(candidates).to_contain_text(known["reference"])
    expect(candidates).to_contain_text(known["nhs_number"])
    expect(candidates).to_contain_text("Name and date of birth")
    axe(page, "contact with a possible match")
    snap(page, "contact-possible-match")

    # No reason: the API's 422 beside the reason.
    group = card.get_by_role("group", name="Which record is this child?")
    group.get_by_label(re.compile(known["reference"])).check()
    card.get_by_role("button", name="Save").click()
    reason_error = page.locator("#link-0-reason-error")
    expect(reason_error).to_be_visible()
    expect(page.locator(".govuk-error-summary").get_by_role("link")).to_have_attribute(
        "href", "#link-0-reason")
    axe(page, "possible match: no reason (422)")
    snap(page, "contact-possible-match-422")
    assert read(site, f"/contacts/{weak['id']}")["children"][0]["id"] == made

    card.get_by_label("Reason").fill(REASON)
    card.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Child linked to Amelia {family}")
    expect(page.locator(".govuk-summary-card").filter(has_text="Possible match:")).to_have_count(0)
    expect(children).not_to_contain_text("Possible match to check")
    expect(children.get_by_role("link", name=f"Amelia {family}")).to_have_attribute(
        "href", f"/console/child?id={known['id']}")
    expect(children).to_contain_text(known["reference"])
    axe(page, "possible match confirmed")
    snap(page, "contact-possible-match-confirmed")

    entry = read(site, f"/contacts/{weak['id']}")["children"][0]
    assert entry["id"] == known["id"]
    assert [(m["status"], m["decided_by"]) for m in entry["possible_matches"]] == [
        ("confirmed", "priya.mash")]
    # The child's page now holds both contacts, and the link in its chronology.
    children.get_by_role("link", name=f"Amelia {family}").click()
    contacts = page.get_by_role("table", name="Contacts about this child, oldest first")
    expect(contacts.get_by_role("link")).to_have_count(2)
    expect(page.get_by_role("table", name="Chronology, newest first")).to_contain_text(REASON)
    assert watched.dialogs == [] and watched.errors == []


def test_possible_matches_rejected_with_a_reason_keep_the_childs_record(site, watched, axe, snap):
    page = watched.page
    family, known, weak = possible_match(site)
    made = weak["children"][0]["id"]

    # The child on record shows the possible match to check, with the contact it is on.
    page.goto(f"/console/child?id={known['id']}")
    sign_in(page)
    matches = page.get_by_role("table", name="Possible matches to check")
    expect(matches.locator("tbody tr")).to_have_count(1)
    expect(matches).to_contain_text("This record")
    expect(matches).to_contain_text("Name and date of birth")
    expect(matches.get_by_role("link", name="Another record")).to_have_attribute(
        "href", f"/console/child?id={made}")
    axe(page, "child with a possible match to check")
    snap(page, "child-possible-match")
    matches.get_by_role("link", name="Open the contact").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(weak["reference"])

    card = page.locator(".govuk-summary-card").filter(has_text="Possible match:")
    card.get_by_role("group", name="Which record is this child?").get_by_label(
        re.compile("None of these")).check()
    card.get_by_label("Reason").fill("A different child: the GP says they are cousins.")
    card.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Possible matches rejected")
    expect(page.locator(".govuk-summary-card").filter(has_text="Possible match:")).to_have_count(0)
    expect(page.get_by_role("table", name="The children this contact is about").get_by_role(
        "link", name=f"Amelia {family}")).to_have_attribute("href", f"/console/child?id={made}")
    axe(page, "possible matches rejected")
    snap(page, "contact-possible-match-rejected")

    entry = read(site, f"/contacts/{weak['id']}")["children"][0]
    assert entry["id"] == made
    assert [m["status"] for m in entry["possible_matches"]] == ["rejected"]
    assert read(site, f"/children/{known['id']}")["possible_matches"] == []
    page.goto(f"/console/child?id={known['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Amelia {family}")
    expect(page.get_by_role("table", name="Possible matches to check")).to_have_count(0)
    assert watched.dialogs == [] and watched.errors == []


def test_a_merged_childs_page_sends_the_reader_to_the_record_it_was_merged_into(
        site, watched, axe, snap):
    page = watched.page
    family = unique_name()
    survivor = contact_about(site, {"given_name": "Freya", "family_name": family,
                                    "nhs_number": new_nhs_number()}, hours_ago=20)["children"][0]
    duplicate = contact_about(site, {"given_name": "Freya", "family_name": family,
                                     "nhs_number": new_nhs_number(),
                                     "date_of_birth": "2019-04-03"})["children"][0]
    merged = site.call("POST", f"/children/{survivor['id']}/merge",
                       json={"duplicate": duplicate["id"], "reason": REASON})
    assert merged.status_code == 201, merged.text

    page.goto(f"/console/child?id={duplicate['id']}")
    sign_in(page)
    expect(page.get_by_role("region", name="Important")).to_contain_text(
        "The record you opened was merged into this one")
    expect(page).to_have_url(re.compile(rf"/console/child\?id={survivor['id']}$"))
    expect(page.locator(".govuk-summary-list")).to_contain_text(survivor["reference"])
    expect(page.get_by_role("table", name="Contacts about this child, oldest first").get_by_role(
        "link")).to_have_count(2)
    merge = page.get_by_role("table", name="Chronology, newest first").locator("tbody tr").filter(
        has_text="merged")
    expect(merge).to_contain_text(f"Child {duplicate['reference']} into {survivor['reference']} merged")
    expect(merge).to_contain_text(REASON)
    axe(page, "merged child's page, on the record it is now")
    snap(page, "child-merged")

    # Found by a search, marked as merged; its link leads to the record it is now.
    page.get_by_role("main").get_by_role("link", name="Find a child").click()
    page.get_by_label("NHS number").fill(duplicate["nhs_number"])
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("table", name="Children matching the search").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"{duplicate['reference']} Merged")
    axe(page, "find a child: a merged record found")
    row.get_by_role("link", name=f"Freya {family}").click()
    expect(page).to_have_url(re.compile(rf"/console/child\?id={survivor['id']}$"))
    expect(page.get_by_role("region", name="Important")).to_be_visible()
    # The API's 404s naming the record it is now (the child, its chronology) are handled.
    not_found = re.compile(r"console: Failed to load resource: .* status of 404 ")
    assert [error for error in watched.errors if not not_found.match(error)] == []
    assert watched.dialogs == []
