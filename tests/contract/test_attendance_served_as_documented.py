"""A meeting's attendance recorded without a name or role is served with them null, and the
document says they may be (schemathesis' response check found `name: null` against a schema of
non-null strings)."""

from pathlib import Path

import yaml

from tests.contract.case_seed import seed_case
from tests.helpers import ApiClient, token_for

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi.yaml").read_text())


def test_attendance_without_a_name_is_served_null_and_documented_nullable(app):
    seeded = seed_case(app)
    practitioner = ApiClient(app, token_for(app, "practitioner", service="mash"))
    held = practitioner.post(f"/api/v1/strategy-meetings/{seeded['meeting_id']}/outcome", json={
        "held_at": "2026-11-20T10:00:00Z", "outcome": "s47_enquiry",
        "rationale": "Disclosure of physical harm corroborated by the school nurse.",
        "medical_examination": {"decision": "required"},
        "attendance": [{"agency": "wmp", "attended": True}]})
    assert held.status_code == 201, held.json
    served = practitioner.get(f"/api/v1/strategy-meetings/{seeded['meeting_id']}").json
    assert served["attendance"] == [{"agency": "wmp", "attended": True, "name": None,
                                     "role": None}]
    documented = SPEC["components"]["schemas"]["Attendance"]["properties"]
    assert documented["name"].get("nullable") is True
    assert documented["role"].get("nullable") is True
