"""Information requests under concurrent writers (PostgreSQL's row locks): two requests to one
agency on one contact at once, and two answers to one request at once, each give one 201 and one
409, with one audit event for the one that was made."""

from tests.helpers import audit_actions, audit_length, client_as, live_staff, only_on, race, record_contact

postgres_only = only_on(
    "postgresql", "real concurrency needs PostgreSQL's row locks; SQLite serialises every writer "
    "(set TEST_DATABASE_URL to run it).")

QUESTION = "Is the family known to you? Any incidents at the address in the last year?"


@postgres_only
def test_two_requests_to_one_agency_at_once_get_one_201_and_one_409(live_app):
    staff = live_staff(live_app)
    for round_ in range(3):
        contact = record_contact(staff.agency, source_reference=f"R{round_}")
        url = f"/api/v1/contacts/{contact['id']}/information-requests"
        body = {"agency": "hilltop-gp", "question": QUESTION,
                "child_ids": [contact["children"][0]["id"]]}
        before = audit_length(staff.auditor)
        answers = race(*(lambda who=who: who.post(url, body)
                         for who in (staff.mash, staff.mash_manager)))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [201, 409], [a.get_json() for a in answers]
        assert audit_length(staff.auditor) == before + 1


@postgres_only
def test_two_answers_to_one_request_at_once_get_one_201_and_one_409(live_app):
    staff = live_staff(live_app)
    gp_systems = [client_as(live_app, "agency", agency="hilltop-gp", sub=sub)
                  for sub in ("hilltop-a", "hilltop-b")]
    for round_ in range(3):
        contact = record_contact(staff.agency, source_reference=f"A{round_}")
        asked = staff.mash.post(f"/api/v1/contacts/{contact['id']}/information-requests", {
            "agency": "hilltop-gp", "question": QUESTION,
            "child_ids": [contact["children"][0]["id"]]})
        assert asked.status_code == 201, asked.get_json()
        url = f"/api/v1/information-requests/{asked.get_json()['id']}/response"
        answers = race(*(lambda gp=gp: gp.post(url, {"known": False}) for gp in gp_systems))
        assert sorted(a.status_code for a in answers) == [201, 409], [a.get_json() for a in answers]
        assert audit_actions(staff.auditor, asked.get_json()["id"]) == [
            "information_request.requested", "information_request.answered"]
