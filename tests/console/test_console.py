"""A practitioner's day at the front door, in Chromium: sign in, the queue ordered by when each
decision is due, a contact, a threshold decision (and the server's 422 beside its field), a
contact whose details hold markup, and a sign-in that ends while a rationale is being typed.
Each page and state walked is checked with axe (WCAG 2.2 AA) and screenshotted at two widths."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.console.steps import (
    MARKUP, RATIONALE, contact_status, post_contact, queue_references, sign_in,
)

pytestmark = pytest.mark.needs_browser

def test_a_practitioner_signs_in_decides_a_contact_and_it_leaves_the_queue(
        site, watched, axe, snap):
    page = watched.page
    overdue = post_contact(site, hours_ago=24 * 9, given="Olivia", agency="oakfield-primary")
    soon = post_contact(site, hours_ago=1, given="Noah")
    middle = post_contact(site, hours_ago=24 * 4, given="Isla", consent="given")

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/console/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    axe(page, "sign-in")
    snap(page, "sign-in")

    sign_in(page, password="not the password")
    expect(page.get_by_role("alert")).to_contain_text("Enter a correct username and password")
    expect(page).to_have_title(re.compile("^Error: "))
    axe(page, "sign-in refused")

    sign_in(page)
    expect(page.get_by_role("heading", name="Front-door queue")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("link", name=soon["reference"])).to_be_visible()
    references = queue_references(page)
    mine = [ref for ref in references if ref in
            (overdue["reference"], middle["reference"], soon["reference"])]
    assert mine == [overdue["reference"], middle["reference"], soon["reference"]]
    overdue_row = page.get_by_role("row").filter(has_text=overdue["reference"])
    expect(overdue_row).to_contain_text("Overdue by")
    expect(overdue_row).to_contain_text("Oakfield")
    expect(overdue_row).to_contain_text("Olivia Hughes")
    expect(overdue_row).to_contain_text("Not sought")
    expect(page.get_by_role("row").filter(has_text=soon["reference"])).to_contain_text("left")
    expect(page.get_by_role("row").filter(has_text=middle["reference"])).to_contain_text("Given")
    axe(page, "queue")
    snap(page, "queue")

    # Filters: the overdue only, then one agency.
    page.get_by_label("Only overdue contacts").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("link", name=soon["reference"])).to_have_count(0)
    expect(page.get_by_role("link", name=overdue["reference"])).to_be_visible()
    page.get_by_label("Only overdue contacts").uncheck()
    page.get_by_label("Source agency").select_option(label="Oakfield Primary School")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("link", name=middle["reference"])).to_have_count(0)
    expect(page.get_by_role("link", name=overdue["reference"])).to_be_visible()
    axe(page, "queue filtered")
    page.get_by_label("Source agency").select_option(label="All agencies")
    page.get_by_role("button", name="Apply filters").click()

    page.get_by_role("link", name=middle["reference"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(middle["reference"])
    expect(page.get_by_role("table", name=re.compile("children"))).to_contain_text("Isla Hughes")
    expect(page.get_by_text("Police attended a domestic incident at home.")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("Consent history"))).to_contain_text("Given")
    expect(page.get_by_text("No decision has been recorded yet.")).to_be_visible()
    axe(page, "contact awaiting a decision")
    snap(page, "contact")

    page.get_by_role("group", name="Outcome").get_by_label("Assessment (section 17)").check()
    page.get_by_label("Rationale").fill(RATIONALE)
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("alert")).to_contain_text("Decision recorded: Assessment (section 17).")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Decided")
    expect(page.get_by_text(RATIONALE)).to_be_visible()
    axe(page, "contact decided")
    snap(page, "contact-decided")

    assert contact_status(site, middle) == "decided"
    decisions = site.call("GET", f"/contacts/{middle['id']}/decisions").json()["items"]
    assert [(d["outcome"], d["rationale"], d["decided_by"]) for d in decisions] == [
        ("assessment", RATIONALE, "priya.mash")]

    # A second decision supersedes the first: its form is folded until opened, asks why, and the
    # first is kept, superseded.
    expect(page.get_by_label("Rationale")).to_be_hidden()
    page.get_by_text("Record a new threshold decision").click()
    page.get_by_role("group", name="Outcome").get_by_label("Strategy discussion (section 47)").check()
    page.get_by_label("Rationale").fill(
        "New information from the school: the child disclosed an injury this morning.")
    page.get_by_label("Why does this decision supersede the current one?").fill(
        "The school's disclosure changes the level of risk.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("alert")).to_contain_text("Decision recorded: Strategy discussion")
    superseded = page.locator(".govuk-summary-card").filter(has_text="Superseded")
    expect(superseded).to_have_count(1)
    expect(superseded).to_contain_text("Assessment (section 17)")
    expect(superseded).to_contain_text("Superseded by")
    axe(page, "contact with a superseded decision")
    snap(page, "contact-superseded")

    page.get_by_role("link", name="Back to the queue").click()
    expect(page.get_by_role("heading", name="Front-door queue")).to_be_visible()
    expect(page.get_by_role("link", name=overdue["reference"])).to_be_visible()
    expect(page.get_by_role("link", name=middle["reference"])).to_have_count(0)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("() => sessionStorage.length") == 0
    assert page.evaluate("() => localStorage.length") == 0
    assert page.context.cookies() == []
    assert watched.dialogs == [] and watched.errors == []


def test_the_queue_refreshes_without_reloading_the_page(site, watched):
    page = watched.page
    page.clock.install()
    page.goto("/console/")
    sign_in(page)
    expect(page.get_by_role("heading", name="Front-door queue")).to_be_visible()
    page.evaluate("() => { window.notReloaded = true; }")

    arrived = post_contact(site, hours_ago=2, given="Freya")
    expect(page.get_by_role("link", name=arrived["reference"])).to_have_count(0)
    page.clock.run_for(61_000)

    expect(page.get_by_role("link", name=arrived["reference"])).to_be_visible()
    assert page.evaluate("() => window.notReloaded") is True
    assert watched.dialogs == [] and watched.errors == []


def test_a_rationale_the_server_refuses_is_shown_beside_its_field_and_in_the_summary(
        site, watched, axe, snap):
    page = watched.page
    contact = post_contact(site, hours_ago=3, given="Leo")
    page.goto(f"/console/contact?id={contact['id']}")
    sign_in(page)
    page.get_by_role("group", name="Outcome").get_by_label("No further action").check()
    page.get_by_label("Rationale").fill("n/a")
    page.get_by_role("button", name="Record decision").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(1)
    message = page.locator("#rationale-error")
    expect(message).to_be_visible()
    server_says = message.inner_text().removeprefix("Error:").strip()
    assert server_says, "no message beside the rationale"
    expect(summary.get_by_role("link", name=server_says)).to_have_attribute("href", "#rationale")
    expect(page.get_by_label("Rationale")).to_have_attribute(
        "aria-describedby", re.compile(r"\brationale-error\b"))
    expect(page.get_by_label("Rationale")).to_have_value("n/a")
    expect(page).to_have_title(re.compile("^Error: "))
    axe(page, "decision refused (422)")
    snap(page, "decision-422")

    summary.get_by_role("link").click()
    expect(page.get_by_label("Rationale")).to_be_focused()
    assert contact_status(site, contact) == "awaiting_decision"
    assert watched.dialogs == []


@pytest.mark.parametrize("markup", MARKUP)
def test_markup_in_a_contact_is_shown_as_text_and_never_run(site, watched, axe, snap, markup):
    page = watched.page
    contact = post_contact(site, hours_ago=5, given=markup, family=markup,
                           summary=f"The referrer wrote: {markup} and nothing else.")
    page.goto("/console/")
    sign_in(page)
    row = page.get_by_role("row").filter(has_text=contact["reference"])
    expect(row).to_contain_text(f"{markup} {markup}")
    page.get_by_role("link", name=contact["reference"]).click()

    expect(page.get_by_text(f"The referrer wrote: {markup} and nothing else.")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("children"))).to_contain_text(
        f"{markup} {markup}")
    # Nothing of it became an element.
    assert page.locator("main script, main img, main b").count() == 0
    axe(page, f"contact holding {markup}")
    if markup == MARKUP[1]:
        snap(page, "contact-markup")
    page.wait_for_timeout(300)  # an onerror would have fired by now
    assert watched.dialogs == []
    assert watched.errors == []


def test_a_sign_in_that_ends_mid_form_asks_again_and_keeps_the_rationale(site, watched, axe, snap):
    page = watched.page
    contact = post_contact(site, hours_ago=6, given="Maya", consent="given")  # early help needs it
    page.goto(f"/console/contact?id={contact['id']}")
    sign_in(page)
    page.get_by_role("group", name="Outcome").get_by_label("Early help").check()
    page.get_by_label("Rationale").fill(RATIONALE)

    # Meanwhile an admin disables the account and enables it again: the token the page holds is
    # refused from now on (tokens issued before a disable stay dead), as an expired one is.
    account = site.account_ids["priya.mash"]
    for action in ("disable", "enable"):
        answer = site.call("POST", f"/accounts/{account}/{action}", name="ada.admin",
                           json={"reason": "Console test: the token must be refused."})
        assert answer.status_code == 200, answer.text
    site.tokens.pop("priya.mash")

    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Your sign-in has ended")).to_be_visible()
    expect(page.get_by_role("button", name="Record decision")).to_be_hidden()
    assert page.locator("#rationale").input_value() == RATIONALE  # kept, while hidden
    axe(page, "signing in again")
    snap(page, "sign-in-again")

    sign_in(page)
    expect(page.get_by_role("alert")).to_contain_text("Decision recorded: Early help.")
    expect(page.get_by_text(RATIONALE)).to_be_visible()
    assert contact_status(site, contact) == "decided"
    decisions = site.call("GET", f"/contacts/{contact['id']}/decisions").json()["items"]
    assert [(d["outcome"], d["rationale"]) for d in decisions] == [("early_help", RATIONALE)]
    assert watched.dialogs == []


def test_feedback_is_recorded_with_a_govuk_date_input_in_london_time(site, watched, axe, snap):
    page = watched.page
    contact = post_contact(site, hours_ago=24 * 3, given="Ruby")
    page.goto(f"/console/contact?id={contact['id']}")
    sign_in(page)
    form = page.get_by_role("form", name="Record feedback given")
    when = form.get_by_role("group", name="When it was given")
    expect(when.get_by_label("Day")).not_to_have_value("")  # today, now, as a starting point

    # Not a date: the server's message beside the date, every part of it marked.
    when.get_by_label("Day").fill("31")
    when.get_by_label("Month").fill("2")
    when.get_by_label("Year").fill("2026")
    when.get_by_label("Time (24-hour)").fill("10:00")
    form.get_by_label("Phone").check()
    form.get_by_label("What the referrer was told").fill("Told the officer an assessment will start.")
    form.get_by_role("button", name="Record feedback").click()
    message = page.locator("#feedback-given-at-error")
    expect(message).to_be_visible()
    expect(page.locator(".govuk-error-summary").get_by_role("link")).to_have_attribute(
        "href", "#feedback-given-at-day")
    expect(when).to_have_attribute("aria-describedby", re.compile(r"feedback-given-at-error"))
    assert page.locator("#feedback-given-at .govuk-input--error").count() == 4
    axe(page, "feedback with a date that does not exist")
    snap(page, "feedback-422")

    # Yesterday at 09:05, London time.
    yesterday = page.evaluate("""() => {
        const parts = new Intl.DateTimeFormat("en-GB", {timeZone: "Europe/London", day: "numeric",
            month: "numeric", year: "numeric"}).formatToParts(new Date(Date.now() - 86400000));
        return Object.fromEntries(parts.map((p) => [p.type, p.value]));
    }""")
    when.get_by_label("Day").fill(yesterday["day"])
    when.get_by_label("Month").fill(yesterday["month"])
    when.get_by_label("Year").fill(yesterday["year"])
    when.get_by_label("Time (24-hour)").fill("09:05")
    form.get_by_role("button", name="Record feedback").click()
    expect(page.get_by_role("alert")).to_contain_text("Feedback recorded.")
    feedback = site.call("GET", f"/contacts/{contact['id']}").json()["feedback"]
    assert len(feedback) == 1
    given = datetime.fromisoformat(feedback[0]["given_at"].replace("Z", "+00:00"))
    london = given.astimezone(ZoneInfo("Europe/London"))
    assert (london.day, london.month, london.year, london.hour, london.minute) == (
        int(yesterday["day"]), int(yesterday["month"]), int(yesterday["year"]), 9, 5)
    expect(page.get_by_role("table", name=re.compile("Feedback given"))).to_contain_text(
        "Told the officer an assessment will start.")
    axe(page, "feedback recorded")
    assert watched.dialogs == [] and watched.errors == []


@pytest.mark.parametrize("typed, sent", [
    ({"day": "1", "month": "7", "year": "2026", "time": "14:30"}, "2026-07-01T14:30:00+01:00"),
    ({"day": "15", "month": "1", "year": "2026", "time": "9.05"}, "2026-01-15T09:05:00+00:00"),
    ({"day": "25", "month": "10", "year": "2026", "time": "00:30"}, "2026-10-25T00:30:00+01:00"),
    ({"day": "25", "month": "10", "year": "2026", "time": "03:00"}, "2026-10-25T03:00:00+00:00"),
    ({"day": "31", "month": "2", "year": "2026", "time": "10:00"}, "2026-02-31T10:00:00+00:00"),  # the API refuses it
    ({"day": "", "month": "", "year": "", "time": ""}, None),
])
def test_a_date_input_is_sent_with_londons_offset_on_that_date(site, watched, typed, sent):
    page = watched.page
    page.goto("/console/")
    data = {f"given_at-{part}": value for part, value in typed.items() if value}
    got = page.evaluate("""async (data) => {
        const forms = await import("/console/js/forms.js");
        return forms.instantOf(data, "given_at") ?? null;
    }""", data)
    assert got == sent
    assert watched.errors == []


def test_show_more_adds_the_next_page_below_the_rows_already_shown(site, watched):
    page = watched.page
    made = [post_contact(site, hours_ago=80 - n, given=f"Child{n:02d}", agency="hilltop-gp")
            for n in range(51)]
    page.goto("/console/")
    sign_in(page)
    page.get_by_label("Source agency").select_option(label="Hill Top Medical Practice")
    page.get_by_role("button", name="Apply filters").click()
    rows = page.get_by_role("region", name=re.compile("Contacts awaiting a decision")).locator("tbody tr")
    expect(rows.filter(has_text="Hill Top Medical Practice")).to_have_count(50)
    expect(rows).to_have_count(50)
    expect(page.get_by_role("status")).to_contain_text("50 or more contacts")
    page.evaluate("() => { document.querySelector('#page tbody tr').keptFromBefore = true; }")

    page.get_by_role("button", name="Show more contacts").click()

    expect(rows).to_have_count(51)
    assert sorted(queue_references(page)) == sorted(contact["reference"] for contact in made)
    assert page.evaluate("() => document.querySelector('#page tbody tr').keptFromBefore") is True
    expect(page.get_by_role("button", name="Show more contacts")).to_be_hidden()
    expect(page.get_by_role("status")).to_contain_text("51 contacts")
    assert watched.dialogs == [] and watched.errors == []


FOCUS_SHOWN = """() => {
    const node = document.activeElement;
    if (node === document.body) return "left the page";  // past the last stop, in the browser's own
    const style = getComputedStyle(node);
    return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
        || style.boxShadow !== "none";
}"""


def tab_to(page, test, limit=80):
    """Presses Tab until `test` (a script given the focused element) holds; every stop shows focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        shown = page.evaluate(FOCUS_SHOWN)
        assert shown, f"focus not shown on {page.evaluate('() => document.activeElement.outerHTML')}"
        if shown == "left the page":
            continue
        if page.evaluate(f"(node) => ({test})(node)", page.evaluate_handle("document.activeElement")):
            return
    raise AssertionError(f"Tab never reached {test}")


def test_a_practitioner_decides_a_contact_with_the_keyboard_alone_and_sees_where_focus_is(
        site, watched):
    page = watched.page
    contact = post_contact(site, hours_ago=24 * 20, given="Keira", consent="given")  # first in line
    page.goto("/console/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_focused()

    tab_to(page, "(node) => node.id === 'username'")
    page.keyboard.type("priya.mash")
    tab_to(page, "(node) => node.id === 'password'")
    page.keyboard.type("console-test-password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Front-door queue")).to_be_visible()

    tab_to(page, f"(node) => node.textContent === {contact['reference']!r}")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(contact["reference"])

    tab_to(page, "(node) => node.name === 'outcome'")
    for _ in range(5):  # the arrow keys move through a radio group, choosing as they go
        page.keyboard.press("ArrowDown")
    expect(page.get_by_role("group", name="Outcome").get_by_label("Assessment (section 17)")).to_be_checked()
    tab_to(page, "(node) => node.id === 'rationale'")
    page.keyboard.type(RATIONALE)
    tab_to(page, "(node) => node.textContent === 'Record decision'")
    page.keyboard.press("Enter")

    expect(page.get_by_role("alert")).to_contain_text("Decision recorded: Assessment (section 17).")
    assert contact_status(site, contact) == "decided"
    assert watched.dialogs == [] and watched.errors == []


def test_a_new_consent_status_is_recorded_and_joins_the_history(site, watched, axe, snap):
    page = watched.page
    contact = post_contact(site, hours_ago=4, given="Ellis")
    page.goto(f"/console/contact?id={contact['id']}")
    sign_in(page)
    history = page.get_by_role("table", name=re.compile("Consent history"))
    expect(history.locator("tbody tr")).to_have_count(1)
    form = page.get_by_role("form", name="Record a new consent status")
    expect(form).to_be_hidden()
    page.get_by_text("Record a new consent status").click()

    # Refused needs a reason: the server's message beside it.
    form.get_by_label("Refused", exact=True).check()
    form.get_by_label("Given, refused or asked by (optional)").fill("Mother")
    form.get_by_role("button", name="Record consent status").click()
    expect(page.locator("#consent-reason-error")).to_be_visible()
    axe(page, "consent refused without a reason")
    snap(page, "consent-422")

    form.get_by_label("Reason").fill("Mother does not want the school told; she was told why we ask.")
    form.get_by_role("button", name="Record consent status").click()
    expect(page.get_by_role("alert")).to_contain_text("Consent recorded: Refused.")
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(history.locator("tbody tr").last).to_contain_text("Mother does not want the school told")
    answer = site.call("GET", f"/contacts/{contact['id']}").json()
    assert answer["consent"]["status"] == "refused"
    assert answer["consent"]["given_by"] == "Mother"
    axe(page, "consent recorded")
    assert watched.dialogs == [] and watched.errors == []
