"""Each write to a strategy meeting is one transaction: if its audit event cannot be written,
nothing is; a convene repeated with the same Idempotency-Key replays the first answer."""

from tests.helpers import (
    MEETINGS, assert_problem, item_ids, meeting_body, outcome_body, record_outcome,
)


def _failing_audit(monkeypatch):
    def boom(*_args, **_kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("api.domain.meetings.audit.record", boom)


def test_a_meeting_whose_audit_event_fails_is_not_recorded(
    practitioner, auditor, case, trail, monkeypatch
):
    before = trail.length()
    _failing_audit(monkeypatch)
    failed = practitioner.post(MEETINGS, json=meeting_body(case))
    assert_problem(failed, 500)
    monkeypatch.undo()
    assert item_ids(auditor.get(MEETINGS)) == []
    assert trail.length() == before


def test_an_outcome_whose_audit_event_fails_is_not_recorded(
    practitioner, meeting, trail, monkeypatch
):
    before = trail.length()
    _failing_audit(monkeypatch)
    failed = practitioner.post(f"{MEETINGS}/{meeting['id']}/outcome", json=outcome_body())
    assert_problem(failed, 500)
    monkeypatch.undo()
    assert practitioner.get(f"{MEETINGS}/{meeting['id']}").json == meeting
    assert trail.length() == before
    assert record_outcome(practitioner, meeting["id"])["status"] == "held"


def test_minutes_whose_audit_event_fails_are_not_recorded(
    practitioner, held_meeting, trail, monkeypatch
):
    before = trail.length()
    _failing_audit(monkeypatch)
    failed = practitioner.post(f"{MEETINGS}/{held_meeting['id']}/minutes",
                               json={"minutes_recorded_at": "2026-11-20T09:45:00Z"})
    assert_problem(failed, 500)
    monkeypatch.undo()
    assert practitioner.get(f"{MEETINGS}/{held_meeting['id']}").json == held_meeting
    assert trail.length() == before


def test_a_repeated_convene_with_the_same_idempotency_key_replays_the_first(
    practitioner, auditor, case, trail
):
    before = trail.length()
    headers = {"Idempotency-Key": "convene-amelia-1"}
    first = practitioner.post(MEETINGS, json=meeting_body(case), headers=headers)
    replay = practitioner.post(MEETINGS, json=meeting_body(case), headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.json == first.json
    assert replay.headers["Location"] == first.headers["Location"]
    assert item_ids(auditor.get(MEETINGS)) == [first.json["id"]]
    assert trail.length() == before + 1

    different = practitioner.post(MEETINGS, json=meeting_body(case, chair="Someone Else"),
                                  headers=headers)
    assert_problem(different, 422)
    assert trail.length() == before + 1
