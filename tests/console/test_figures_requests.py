"""The figures page's information requests to partner agencies in Chromium: the summary and the
table by agency asked, checked against GET /metrics/timeliness and against figures worked out by
hand from the requests made through the API; a period with no requests said in a sentence; the
median time to answer in words; the table scrolling inside its region at 375 px, not the page.

As in test_information_requests.py, the server gives a red contact's request no time at all
(INFORMATION_RED_HOURS=0): it is overdue as soon as it is asked, and its answer is late. An unrated
contact's requests keep four working hours, so one answered at once is in time."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.console.steps import choose_period, post_contact, row_cells, sign_in, this_and_last_month

pytestmark = pytest.mark.needs_browser

SERVER_ENVIRONMENT = {"INFORMATION_RED_HOURS": "0"}

QUESTION = "Is the family known to you? Any incidents at the address in the last year?"
POLICE, GP = "West Midlands Police", "Hill Top Medical Practice"
NONE_ASKED = "No partner agency was asked for information in this period."


def ask(site, contact, agency):
    answer = site.call("POST", f"/contacts/{contact['id']}/information-requests", json={
        "agency": agency, "question": QUESTION,
        "child_ids": [child["id"] for child in contact["children"]]})
    assert answer.status_code == 201, answer.text
    return answer.json()


def respond(site, request, client):
    answer = site.call("POST", f"/information-requests/{request['id']}/response", name=client,
                       json={"known": True, "information": "One call-out to the address in January."})
    assert answer.status_code == 201, answer.text
    return answer.json()


def withdraw(site, request):
    answer = site.call("POST", f"/information-requests/{request['id']}/withdrawal",
                       json={"reason": "The police answer is enough to decide."})
    assert answer.status_code == 201, answer.text
    return answer.json()


def hours_words(hours, none):
    """What the page shows for a median in hours (figures-requests.js, hoursWords)."""
    if hours is None:
        return none
    minutes = round(hours * 60)
    if minutes < 1:
        return "Less than a minute"
    if minutes < 60:
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    rounded = round(hours, 1)
    return f"{rounded:,g} hour{'' if rounded == 1 else 's'}"


def summary_value(page, key):
    """The value beside `key` in the summary under the information requests' heading."""
    summary = page.get_by_role("heading", name="Information requests to partner agencies").locator(
        "xpath=following-sibling::dl[1]")
    row = summary.locator(".govuk-summary-list__row").filter(has=page.get_by_text(key, exact=True))
    expect(row).to_have_count(1)
    return row.locator(".govuk-summary-list__value")


def test_the_figures_show_each_agencys_information_requests_and_a_period_with_none(
        site, watched, axe, snap):
    page = watched.page
    # Police: one answered at once (in time), one on a red contact answered late.
    # The GP practice: one open on an unrated contact, one open on the red one (overdue), one
    # withdrawn.
    unrated = post_contact(site, hours_ago=1, given="Rosa")
    red = post_contact(site, hours_ago=1, given="Sami")
    other = post_contact(site, hours_ago=2, given="Tom")
    rated = site.call("POST", f"/contacts/{red['id']}/rag", json={
        "rating": "red", "reason": "The child told her teacher she is scared to go home tonight."})
    assert rated.status_code == 201, rated.text
    assert respond(site, ask(site, unrated, "wmp"), "wmp-case-system")["response"]["within_deadline"] is True
    assert respond(site, ask(site, red, "wmp"), "wmp-case-system")["response"]["within_deadline"] is False
    ask(site, unrated, "hilltop-gp")
    ask(site, red, "hilltop-gp")
    assert withdraw(site, ask(site, other, "hilltop-gp"))["status"] == "withdrawn"

    page.goto("/console/figures")
    sign_in(page)
    # The last six whole months by default: every request was made today, so none is in them.
    expect(page.locator("#figures")).to_have_attribute("data-figures-loaded", "")
    expect(page.get_by_role("heading", name="Information requests to partner agencies", level=2)
           ).to_be_visible()
    expect(page.get_by_text(NONE_ASKED)).to_be_visible()
    expect(page.get_by_role("table", name="Requests by agency asked")).to_have_count(0)
    axe(page, "figures, no information requests in the period")
    snap(page, "figures-requests-none")

    first, last = this_and_last_month()
    choose_period(page, first, last)
    page.get_by_role("button", name="Show figures").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Figures for contacts received from {first.day} {first:%B %Y} to {last.day} {last:%B %Y}.")
    expect(page.get_by_text(NONE_ASKED)).to_have_count(0)

    # The API's scorecard for the period, and the figures worked out by hand from the requests.
    metrics = site.call("GET", "/metrics/timeliness", params={
        "from": first.isoformat(), "to": (last + timedelta(days=1)).isoformat()})
    assert metrics.status_code == 200, metrics.text
    figures = metrics.json()["information_requests"]
    police, gp = ({a["agency"]: a for a in figures["by_agency"]}[code] for code in ("wmp", "hilltop-gp"))
    assert [a["agency"] for a in figures["by_agency"]] == ["hilltop-gp", "wmp"]
    assert {k: figures[k] for k in ("requested", "answered", "open", "overdue", "withdrawn")} == {
        "requested": 5, "answered": 2, "open": 2, "overdue": 1, "withdrawn": 1}
    assert figures["answered_in_time"] == {"count": 1, "of": 2, "percent": 50.0}
    assert {k: police[k] for k in ("requested", "answered", "open", "overdue", "withdrawn")} == {
        "requested": 2, "answered": 2, "open": 0, "overdue": 0, "withdrawn": 0}
    assert police["answered_in_time"] == {"count": 1, "of": 2, "percent": 50.0}
    assert {k: gp[k] for k in ("requested", "answered", "open", "overdue", "withdrawn")} == {
        "requested": 3, "answered": 0, "open": 2, "overdue": 1, "withdrawn": 1}
    assert gp["median_hours_to_answer"] is None
    # Both police answers came within seconds of the question (two decimal places of an hour).
    assert 0 <= police["median_hours_to_answer"] < 0.1
    assert police["median_hours_to_answer"] == figures["median_hours_to_answer"]
    median = hours_words(police["median_hours_to_answer"], "Not answered yet")
    assert re.fullmatch(r"Less than a minute|\d minutes?", median)

    # The summary for every agency asked.
    assert summary_value(page, "Asked").inner_text() == "5"
    assert summary_value(page, "Answered").inner_text() == "2"
    assert summary_value(page, "Answered in time").inner_text() == "1 of 2 (50%)"
    assert summary_value(page, "Median time to answer").inner_text() == median
    assert summary_value(page, "Still open").inner_text() == "2"
    overdue = summary_value(page, "Overdue (still open past the time it was due)")
    expect(overdue.locator(".govuk-tag--red")).to_have_text("1")
    assert summary_value(page, "Withdrawn").inner_text() == "1"

    # A row for each agency asked, by name, in the API's order (by code).
    table = page.get_by_role("table", name="Requests by agency asked")
    expect(table.get_by_role("rowheader")).to_have_text([GP, POLICE])
    expect(table.get_by_role("columnheader")).to_have_text([
        "Agency asked", "Asked", "Answered", "Answered in time", "Median time to answer",
        "Still open", "Overdue", "Withdrawn"])
    assert row_cells(table, POLICE) == ["2", "2", "1 of 2 (50%)", median, "0", "0", "0"]
    assert row_cells(table, GP) == ["3", "0", "None answered", "Not answered yet", "2", "1", "1"]
    for name, figures_of in ((POLICE, police), (GP, gp)):
        shown = row_cells(table, name)
        assert shown[0] == str(figures_of["requested"]) and shown[1] == str(figures_of["answered"])
        assert shown[4:] == [str(figures_of[k]) for k in ("open", "overdue", "withdrawn")]
    police_row = table.get_by_role("row").filter(has_text=POLICE)
    gp_row = table.get_by_role("row").filter(has_text=GP)
    expect(gp_row.locator(".govuk-tag--red")).to_have_text("1")
    expect(police_row.locator(".govuk-tag")).to_have_count(0)
    # Every figure is a numeric cell, right-aligned under its right-aligned heading.
    expect(table.locator("td:not(.govuk-table__cell--numeric)")).to_have_count(0)
    aligns = table.locator("td, thead th").evaluate_all(
        "(cells) => cells.map((cell) => getComputedStyle(cell).textAlign)")
    assert aligns == ["left"] + ["right"] * 7 + ["right"] * 14

    # The median in words, for medians a test cannot wait for.
    words = page.evaluate("""async (values) => {
        const { hoursWords } = await import("/console/js/figures-requests.js");
        return values.map((hours) => hoursWords(hours));
    }""", [None, 0, 0.01, 0.5, 0.99, 1, 1.04, 2.5, 2.46, 26, 1234.5])
    assert words == ["Not answered yet", "Less than a minute", "1 minute", "30 minutes",
                     "59 minutes", "1 hour", "1 hour", "2.5 hours", "2.5 hours", "26 hours",
                     "1,234.5 hours"]
    assert [hours_words(h, "Not answered yet") for h in (None, 0, 0.01, 0.5, 1, 2.5, 1234.5)] == [
        words[0], words[1], words[2], words[3], words[5], words[7], words[10]]

    # At 1280 px the whole table shows, with no sideways scrolling.
    region = page.get_by_role("region", name="Requests by agency asked")
    assert region.evaluate("(node) => node.scrollWidth <= node.clientWidth")
    axe(page, "figures with information requests")
    snap(page, "figures-requests")

    # At 375 px the table scrolls inside its region and the page itself does not widen (once the
    # chart has redrawn at the new width); the caption is not cut off by the region's edge.
    page.set_viewport_size({"width": 375, "height": 900})
    page.wait_for_function("() => document.documentElement.scrollWidth <= 375")
    assert region.evaluate("(node) => node.scrollWidth > node.clientWidth")
    assert region.evaluate("""(node) => {
        const text = document.createRange();
        text.selectNodeContents(node.querySelector("caption"));
        return text.getBoundingClientRect().right <= node.getBoundingClientRect().right;
    }""")
    axe(page, "figures with information requests, 375 px")
    assert watched.dialogs == [] and watched.errors == []
