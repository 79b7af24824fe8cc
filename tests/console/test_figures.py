"""The figures, audit and read-only pages in Chromium: PI1 by month as a Chart.js chart with the
same figures in a table (ratios checked against the contacts and decisions made through the API),
the figures by source agency and the step-up/step-down summary, a bad period's 422 beside its
date; an auditor downloading the decision export (CSV and NDJSON) and an Annex A list, and reading
the queue and a contact with no forms. Each page and state is checked with axe and screenshotted."""

import csv
import hashlib
import json
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.console.steps import (
    RATIONALE, choose_period, fill_date, post_contact, row_cells, sign_in, this_and_last_month,
)

pytestmark = pytest.mark.needs_browser

LONDON = ZoneInfo("Europe/London")


def decide(site, contact, outcome="information_advice"):
    answer = site.call("POST", f"/contacts/{contact['id']}/decisions",
                       json={"outcome": outcome, "rationale": RATIONALE})
    assert answer.status_code == 201, answer.text
    return answer.json()


def london_month(iso):
    return datetime.fromisoformat(iso).astimezone(LONDON).strftime("%Y-%m")


def month_words(key):
    return date.fromisoformat(f"{key}-01").strftime("%B %Y")


def share(count, of):
    return f"{count} of {of} ({round(100 * count / of, 1):g}%)" if of else "None decided"


def drawn_pixels(page, selector="#pi1-chart"):
    return page.evaluate("""(selector) => {
        const canvas = document.querySelector(selector);
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let drawn = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn += 1;
        return drawn;
    }""", selector)


def test_the_figures_show_each_months_decisions_within_24_hours_in_a_chart_and_a_table(
        site, watched, axe, snap):
    page = watched.page
    # Decided within 24 hours (two agencies), decided late, and one awaiting a decision.
    quick = [post_contact(site, hours_ago=2, given="Ava"), post_contact(site, hours_ago=5, given="Ben"),
             post_contact(site, hours_ago=3, given="Cara", agency="oakfield-primary")]
    late = [post_contact(site, hours_ago=30, given="Dan"), post_contact(site, hours_ago=50, given="Eve")]
    waiting = post_contact(site, hours_ago=1, given="Finn")
    decisions = {c["id"]: decide(site, c) for c in quick + late}
    # A child opened to early help and stepped up to social care, accepted.
    helped = post_contact(site, hours_ago=4, given="Gus", consent="given")
    decisions[helped["id"]] = decide(site, helped, outcome="early_help")
    quick.append(helped)
    step_up = site.call("POST", "/transitions", json={
        "child_id": helped["children"][0]["id"], "direction": "step_up",
        "rationale": "A new missing episode; the early help worker is worried about exploitation."})
    assert step_up.status_code == 201, step_up.text
    accepted = site.call("POST", f"/transitions/{step_up.json()['id']}/response", name="sam.social",
                         json={"decision": "accepted"})
    assert accepted.status_code == 201, accepted.text

    # What the months' rows must say, worked out from the contacts and decisions made.
    months = defaultdict(lambda: {"received": 0, "decided": 0, "within_24": 0, "within_day": 0})
    for contact in [*quick, *late, waiting]:
        month = months[london_month(contact["received_at"])]
        month["received"] += 1
        decision = decisions.get(contact["id"])
        if decision:
            month["decided"] += 1
            month["within_24"] += decision["within_24_hours"]
            month["within_day"] += decision["within_1_working_day"]
    for contact in quick:
        assert decisions[contact["id"]]["within_24_hours"] is True
    for contact in late:
        assert decisions[contact["id"]]["within_24_hours"] is False

    page.goto("/console/figures")
    sign_in(page)
    expect(page.get_by_role("heading", name="Figures", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Figures")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="Audit")).to_have_count(0)  # a practitioner's navigation
    # By default the last six whole months, this one left out: none of these contacts is in them.
    by_month = page.get_by_role("table", name="Decisions by month")
    expect(by_month.get_by_role("rowheader")).to_have_count(7)  # six months and the whole period
    today = datetime.now(LONDON).date()
    expect(by_month).not_to_contain_text(today.strftime("%B %Y"))
    last_whole = today.replace(day=1) - timedelta(days=1)
    if last_whole.strftime("%Y-%m") not in months:  # (a contact backdated over the month's end)
        assert row_cells(by_month, last_whole.strftime("%B %Y"))[:3] == ["0", "0", "None decided"]
    expect(page.locator("#figures")).to_have_attribute("data-figures-loaded", "")
    axe(page, "figures, the last six months")
    snap(page, "figures-last-six-months")

    first, last = this_and_last_month()
    choose_period(page, first, last)
    page.get_by_role("button", name="Show figures").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Figures for contacts received from {first.day} {first:%B %Y} to {last.day} {last:%B %Y}.")
    by_month = page.get_by_role("table", name="Decisions by month")
    expect(by_month.get_by_role("rowheader")).to_have_count(3)
    for key, m in months.items():
        assert row_cells(by_month, month_words(key)) == [
            str(m["received"]), str(m["decided"]), share(m["within_24"], m["decided"]),
            share(m["within_day"], m["decided"]), str(m["received"] - m["decided"]), "0"]
    decided = len(decisions)
    assert row_cells(by_month, "Whole period")[:4] == [
        "7", str(decided), share(len(quick), decided),
        share(sum(d["within_1_working_day"] for d in decisions.values()), decided)]
    # The figures are the API's.
    metrics = site.call("GET", "/metrics/timeliness", params={
        "from": first.isoformat(), "to": (last + timedelta(days=1)).isoformat()}).json()
    assert metrics["contacts"]["decided_within_24_hours"] == {
        "count": 4, "of": 6, "percent": 66.7}
    assert "4 of 6 (66.7%)" in row_cells(by_month, "Whole period")

    # The chart: an image with a name, drawn on its canvas, and no CSP or script error.
    chart = page.get_by_role("img", name=re.compile("Bar chart: the share of contacts decided"))
    expect(chart).to_be_visible()
    assert chart.bounding_box()["height"] > 200
    assert drawn_pixels(page) > 2000

    by_agency = page.get_by_role("table", name="Decisions by source agency")
    assert row_cells(by_agency, "Oakfield Primary School")[:3] == ["1", "1", share(1, 1)]
    assert row_cells(by_agency, "West Midlands Police")[:3] == ["6", "5", share(3, 5)]

    step_up_list = page.get_by_role("heading", name=re.compile("^Step up")).locator(
        "xpath=following-sibling::dl[1]")
    expect(step_up_list.locator(".govuk-summary-list__row").filter(has_text="Requested")).to_contain_text("1")
    expect(step_up_list.locator(".govuk-summary-list__row").filter(has_text="Accepted, of those answered")
           ).to_contain_text("1 of 1 (100%)")
    step_down_list = page.get_by_role("heading", name=re.compile("^Step down")).locator(
        "xpath=following-sibling::dl[1]")
    expect(step_down_list.locator(".govuk-summary-list__row").filter(has_text="Requested")).to_contain_text("0")
    axe(page, "figures for this and last month")
    snap(page, "figures")

    # A date that is not a date, and a last day before the first: each beside its date.
    fill_date(page, "From", ("31", "2", str(today.year)))
    page.get_by_role("button", name="Show figures").click()
    expect(page.get_by_role("alert")).to_contain_text("The first day must be a real date")
    expect(page.locator("#from-error")).to_contain_text("The first day must be a real date")
    expect(page.get_by_role("group", name="From")).to_have_attribute(
        "aria-describedby", re.compile("from-error"))
    expect(page.get_by_role("table", name="Decisions by month")).to_have_count(0)
    expect(page).to_have_title(re.compile("^Error: Figures"))
    axe(page, "figures, a date that is not a date")
    snap(page, "figures-error")
    choose_period(page, last, first)
    page.get_by_role("button", name="Show figures").click()
    expect(page.locator("#to-error")).to_contain_text(
        "The last day must be the same as or after the first day.")
    expect(page.locator("#from-error")).to_have_count(0)
    choose_period(page, first, last)
    page.get_by_role("button", name="Show figures").click()
    expect(page.get_by_role("table", name="Decisions by month")).to_be_visible()
    expect(page.locator(".govuk-error-message")).to_have_count(0)
    assert drawn_pixels(page) > 2000
    assert watched.dialogs == [] and watched.errors == []


def test_an_auditor_downloads_the_decision_export_and_an_annex_a_list(site, watched, axe, snap, tmp_path):
    page = watched.page
    decided = [post_contact(site, hours_ago=2, given="Hana", consent="given"),
               post_contact(site, hours_ago=6, given="Ivo", consent="given")]
    for contact in decided:
        decide(site, contact, outcome="assessment")
    undecided = post_contact(site, hours_ago=1, given="Jon")
    first, last = this_and_last_month()

    page.goto("/console/audit")
    sign_in(page, "ava.auditor")
    expect(page.get_by_role("heading", name="Audit", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Audit")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="Figures")).to_be_visible()
    expect(page.get_by_role("group", name="What to download").get_by_role("radio")).to_have_count(5)
    expect(page.get_by_text("Every contact received in the period, a row for each child")).to_be_visible()
    axe(page, "audit")
    snap(page, "audit")

    # A period without a first day: the API's 422 beside it, and no file.
    for part in ("Day", "Month", "Year"):
        page.get_by_role("group", name="From").get_by_label(part).fill("")
    page.get_by_role("button", name="Download").click()
    expect(page.locator("#from-error")).to_contain_text("Enter the first day of the period.")
    expect(page.get_by_role("alert")).to_contain_text("Enter the first day of the period.")
    axe(page, "audit, no first day")
    snap(page, "audit-error")

    choose_period(page, first, last)
    page.get_by_label("Threshold decisions (CSV, for a spreadsheet)").check()
    with page.expect_download() as downloaded:
        page.get_by_role("button", name="Download").click()
    file = downloaded.value
    name = f"decisions-{first.isoformat()}-{(last + timedelta(days=1)).isoformat()}.csv"
    assert file.suggested_filename == name
    path = tmp_path / name
    file.save_as(path)
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    references = {row["contact_reference"] for row in rows}
    assert {c["reference"] for c in decided} <= references
    assert undecided["reference"] not in references
    assert {row["outcome"] for row in rows if row["contact_reference"] in
            {c["reference"] for c in decided}} == {"assessment"}
    expect(page.get_by_role("status")).to_have_text(
        f"Downloaded Threshold decisions (CSV, for a spreadsheet) as {name}.")
    expect(page.locator(".govuk-error-message")).to_have_count(0)
    axe(page, "audit, downloaded")
    snap(page, "audit-downloaded")

    page.get_by_label("Threshold decisions (NDJSON, for another system)").check()
    with page.expect_download() as downloaded:
        page.get_by_role("button", name="Download").click()
    path = tmp_path / "decisions.ndjson"
    downloaded.value.save_as(path)
    assert downloaded.value.suggested_filename.endswith(".ndjson")
    saved = path.read_bytes()  # the records, then the trailer that counts them and their bytes
    *lines, trailer = [json.loads(line) for line in saved.split(b"\n")[:-1]]
    before = saved[:saved.rindex(b"\n", 0, -1) + 1]
    assert trailer == {"@end": {"rows": len(lines), "sha256": hashlib.sha256(before).hexdigest()}}
    assert {c["reference"] for c in decided} <= {line["contact"]["reference"] for line in lines}

    page.get_by_label("Annex A List 1: contacts").check()
    with page.expect_download() as downloaded:
        page.get_by_role("button", name="Download").click()
    assert downloaded.value.suggested_filename.startswith("annex-a-list-1-contacts-")
    path = tmp_path / "annex-a.csv"
    downloaded.value.save_as(path)
    listed = list(csv.reader(path.open(encoding="utf-8", newline="")))
    assert listed[0][:2] == ["Child Unique ID", "Gender"] and "Date of Contact" in listed[0]
    children = {c["children"][0]["reference"] for c in [*decided, undecided]}
    assert children <= {row[0] for row in listed[1:]}
    assert watched.dialogs == [] and watched.errors == []


def test_an_auditor_reads_the_queue_and_a_contact_but_is_offered_no_form(site, watched, axe, snap):
    page = watched.page
    contact = post_contact(site, hours_ago=3, given="Kit")
    page.goto("/console/")
    sign_in(page, "ava.auditor")
    expect(page.get_by_role("heading", name="Front-door queue")).to_be_visible()
    expect(page.get_by_role("link", name="Figures")).to_be_visible()
    expect(page.get_by_role("link", name="Audit")).to_be_visible()
    page.get_by_role("link", name=contact["reference"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(contact["reference"])
    expect(page.get_by_text("No decision has been recorded yet.")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("children"))).to_contain_text("Kit Hughes")
    expect(page.locator("#page form")).to_have_count(0)
    expect(page.get_by_role("button", name="Record decision")).to_have_count(0)
    expect(page.get_by_role("radio")).to_have_count(0)
    expect(page.get_by_role("textbox")).to_have_count(0)
    axe(page, "contact, read by an auditor")
    snap(page, "contact-auditor")
    assert watched.dialogs == [] and watched.errors == []
