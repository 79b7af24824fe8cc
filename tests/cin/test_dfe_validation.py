"""The CIN census return checked by the DfE's own validation rules: the data-to-insight
`csc-validator-be-cin` package (its latest ruleset) in a virtual environment of its own
(`make validate-cin` builds it in .venv-cin; tests/cin/validate.py runs it and exits 1 when an
ERROR rule fails). A front door that walks every state the return holds passes with no ERROR;
the same data broken behind the API's back (a weekend ICPC, a referral with no source) fails,
naming the rule, so the check can fail."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from api.db import session
from tests.helpers import OUTCOME_RATIONALE, as_owner, created, decide, record_contact

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / ".venv-cin" / "bin" / "python"
GIVEN = {"status": "given", "given_by": "Mother"}
CLOSURE = "Assessed: the family's needs are met by the support already in place."

pytestmark = pytest.mark.skipif(
    not VALIDATOR.exists(), reason="the DfE's CIN validator is not installed: `make validate-cin` "
    "installs it in .venv-cin (a failure in CI)")


def child(given, born, **more):
    return {"given_name": given, "family_name": "Walker", "date_of_birth": born, **more}


def referral(practitioner, police, kid, outcome="assessment", at="2026-11-20T09:30:00Z"):
    made = record_contact(police, consent=GIVEN, children=[kid])
    decide(practitioner, made["id"], outcome, at)
    created(practitioner.post(f"/api/v1/children/{made['children'][0]['id']}/disability",
                              json={"disability": False}))
    return made


@pytest.fixture
def front_door(practitioner, manager, police, clock):
    """Referrals through every state the return holds, recorded through the API."""
    from tests.api.test_icpc import s47_meeting

    assessed = referral(practitioner, police, child("Amelia", "2015-04-02", sex="female"))
    first = assessed["children"][0]["id"]
    created(manager.post(f"/api/v1/contacts/{assessed['id']}/allocation",
                         json={"team": "Assessment team 1", "worker": "sam"}))
    done = created(practitioner.post("/api/v1/assessments", json={
        "contact_id": assessed["id"], "child_id": first, "started_at": "2026-11-20T09:40:00Z"}))
    created(manager.post(f"/api/v1/assessments/{done['id']}/completion", json={
        "child_seen_at": "2026-11-20T09:45:00Z", "authorised_at": "2026-11-20T09:50:00Z",
        "factors": ["21"], "outcome": "no_further_action", "primary_need": "N9",
        "rationale": OUTCOME_RATIONALE}))
    created(practitioner.post(f"/api/v1/referrals/{assessed['id']}/closure", json={
        "closed_on": "2026-11-20", "reason": "RC8", "rationale": CLOSURE}))

    still_open = referral(practitioner, police, child("Ben", "2021-10-06", sex="male"))
    created(practitioner.post("/api/v1/assessments", json={
        "contact_id": still_open["id"], "child_id": still_open["children"][0]["id"],
        "started_at": "2026-11-20T09:41:00Z"}))

    meeting = s47_meeting(practitioner)
    protected = meeting["children"][0]
    created(practitioner.post(f"/api/v1/children/{protected}/disability",
                              json={"disability": True, "disabilities": ["LD"]}))
    created(practitioner.post("/api/v1/assessments", json={
        "contact_id": meeting["contact_id"], "child_id": protected,
        "started_at": "2026-11-20T09:42:00Z"}))
    created(practitioner.post(f"/api/v1/strategy-meetings/{meeting['id']}/icpc", json={
        "held_on": "2026-11-20", "child_protection_plan": [
            {"child_id": protected, "plan": True, "category_of_abuse": "NEG"}]}))
    return meeting


def validated(auditor, tmp_path, edit=None):
    """(exit status, the validator's JSON summary) of the return exported now (`edit`ed first)."""
    answer = auditor.get("/api/v1/exports/cin-census", query_string={"year": "2026-27"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    path = tmp_path / "cin.xml"
    body = answer.get_data(as_text=True)
    path.write_text(edit(body) if edit else body, encoding="utf-8")
    run = subprocess.run([str(VALIDATOR), str(ROOT / "tests" / "cin" / "validate.py"), str(path),
                          "--json"], capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1), run.stdout + run.stderr  # 2: the harness could not check
    return run.returncode, json.loads(run.stdout)


def errors_of(summary):
    return {rule["code"] for rule in summary["rules"] if rule["type"] == "ERROR"}


def test_a_front_door_through_every_state_passes_every_error_rule(auditor, front_door, tmp_path):
    status, summary = validated(auditor, tmp_path)
    assert (status, errors_of(summary)) == (0, set()), summary
    assert summary["rules_run"] > 100


def tamper(statement, **params):
    as_owner()
    session.execute(text(statement), params)
    session.commit()


def test_an_icpc_moved_to_a_saturday_behind_the_api_is_caught(auditor, front_door, tmp_path):
    tamper("UPDATE strategy_meetings SET icpc_held_on = :day WHERE id = :id",
           day="2026-11-21", id=front_door["id"].replace("-", "")
           if session.get_bind().dialect.name == "sqlite" else front_door["id"])
    status, summary = validated(auditor, tmp_path)
    assert status == 1
    assert "8875" in errors_of(summary)


def test_a_referral_without_its_source_is_caught(auditor, front_door, tmp_path):
    """The database refuses an agency without a referral source (NOT NULL, and a CHECK on the
    codes), so the source is taken out of the exported file instead."""
    with pytest.raises(IntegrityError):
        tamper("UPDATE agencies SET referral_source = NULL WHERE code = 'wmp'")
    session.rollback()

    def without_a_source(body):
        assert body.count("<ReferralSource>6</ReferralSource>") >= 1
        return body.replace("<ReferralSource>6</ReferralSource>", "", 1)

    status, summary = validated(auditor, tmp_path, without_a_source)
    assert status == 1
    assert "8866" in errors_of(summary)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
