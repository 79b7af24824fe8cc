"""Steps the console tests share: records set up through the API as a partner or a practitioner
would make them, signing in on the page, and choosing a period on the figures page."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.helpers import new_nhs_number

RATIONALE = ("Police attended a domestic incident; the child was present and frightened. "
             "An assessment is needed to understand the risk at home.")
MARKUP = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<b>bold</b>"]


def iso(instant):
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def post_contact(site, *, hours_ago, given="Amelia", family="Hughes", summary=None,
                 agency="wmp", consent="not_sought", now=None):
    """A contact received `hours_ago` before `now` (default: the real now)."""
    body = {
        "received_at": iso((now or datetime.now(UTC)) - timedelta(hours=hours_ago)),
        "source_agency": agency, "channel": "phone",
        "referrer": {"name": "PC Jane Doe", "role": "Officer"},
        "children": [{"given_name": given, "family_name": family, "date_of_birth": "2019-04-02",
                      "nhs_number": new_nhs_number()}],
        "concerns": {"categories": ["domestic_abuse"],
                     "summary": summary or "Police attended a domestic incident at home."},
        "consent": {"status": consent, "reason": "Seeking consent could place the child at risk."}
        if consent != "given" else {"status": "given", "given_by": "Mother"},
    }
    answer = site.call("POST", "/contacts", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def sign_in(page, username="priya.mash", password="console-test-password"):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def queue_references(page):
    return page.get_by_role("region", name=re.compile("Contacts awaiting a decision")).get_by_role(
        "row").get_by_role("link").all_inner_texts()


def contact_status(site, contact):
    return site.call("GET", f"/contacts/{contact['id']}").json()["status"]


# ---- the figures page (tests/console/test_figures*.py) ------------------------------------------

def this_and_last_month():
    """The previous and the current London month, as the form's first and last day: contacts
    backdated by a day or two may fall in the previous month."""
    today = datetime.now(ZoneInfo("Europe/London")).date()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def fill_date(page, legend, day):
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day) if isinstance(day, date) else day[0])
    group.get_by_label("Month").fill(str(day.month) if isinstance(day, date) else day[1])
    group.get_by_label("Year").fill(str(day.year) if isinstance(day, date) else day[2])


def choose_period(page, first, last):
    fill_date(page, "From", first)
    fill_date(page, "To", last)


def row_cells(table, name):
    row = table.get_by_role("row").filter(has=table.page.get_by_role("rowheader", name=name, exact=True))
    expect(row).to_have_count(1)
    return row.get_by_role("cell").all_inner_texts()


# ---- strategy meetings (tests/console/test_meetings.py) ----------------------------------------

def decide_strategy_discussion(site, contact, *, decided_at, name="priya.mash"):
    answer = site.call("POST", f"/contacts/{contact['id']}/decisions", name=name, json={
        "outcome": "strategy_discussion", "rationale": RATIONALE, "decided_at": iso(decided_at)})
    assert answer.status_code == 201, answer.text
    return answer.json()


def convene_meeting_through_api(site, contact, *, convened_at, invited=("wmp",),
                                not_invited_reasons=None, name="priya.mash"):
    """A meeting on a contact decided strategy_discussion, to be held an hour after convened_at."""
    answer = site.call("POST", "/strategy-meetings", name=name, json={
        "contact_id": contact["id"], "children": [child["id"] for child in contact["children"]],
        "convened_at": iso(convened_at), "scheduled_for": iso(convened_at + timedelta(hours=1)),
        "chair": "Mark Evans", "invited": [{"agency": code} for code in invited],
        "not_invited_reasons": not_invited_reasons or {},
    })
    assert answer.status_code == 201, answer.text
    return answer.json()


def fill_when(scope, legend, instant):
    """Types `instant` in London time into the date input (with a time) named `legend`."""
    local = instant.astimezone(ZoneInfo("Europe/London"))
    group = scope.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(local.day))
    group.get_by_label("Month").fill(str(local.month))
    group.get_by_label("Year").fill(str(local.year))
    group.get_by_label("Time (24-hour)").fill(local.strftime("%H:%M"))
