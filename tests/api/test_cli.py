"""The operators' commands: `flask token create` and `flask audit verify`."""

import json

import jwt
import pytest
from sqlalchemy import select

from api.db import session
from api.models import AuditEvent
from tests.helpers import PUBLIC_KEY, contact_body


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=list(args))

    return invoke


def claims_of(app, token):
    return jwt.decode(token, PUBLIC_KEY, algorithms=["ES256"], issuer=app.config["JWT_ISSUER"],
                      audience=app.config["JWT_AUDIENCE"])


# ---- token create ---------------------------------------------------------------------------


@pytest.mark.parametrize("role, companion, lifetime, path", [
    pytest.param("practitioner", ("service", "mash"), "TOKEN_MINUTES_PERSON", "/api/v1/contacts",
                 id="a practitioner's token carries its service and a person's lifetime"),
    pytest.param("manager", ("service", "early_help"), "TOKEN_MINUTES_PERSON", "/api/v1/contacts",
                 id="a manager's token carries its service and a person's lifetime"),
    pytest.param("agency", ("agency", "wmp"), "TOKEN_MINUTES_CLIENT", "/api/v1/agencies",
                 id="an agency's token carries its agency and a client's lifetime"),
])
def test_a_command_line_token_carries_its_claims_and_is_accepted_by_the_api(
    app, cli, anonymous, role, companion, lifetime, path
):
    name, value = companion
    result = cli("token", "create", "--sub", "x", "--role", role, f"--{name}", value)

    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.count(".") == 2 and "\n" not in token
    claims = claims_of(app, token)
    assert (claims["sub"], claims["role"], claims[name]) == ("x", role, value)
    assert ({"service", "agency"} - {name}).isdisjoint(claims)
    assert claims["exp"] - claims["iat"] == app.config[lifetime] * 60
    response = anonymous.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json


def test_the_lifetime_of_a_command_line_token_can_be_chosen(app, cli):
    result = cli("token", "create", "--sub", "x", "--role", "auditor", "--minutes", "5")

    assert result.exit_code == 0, result.output
    claims = claims_of(app, result.output.strip())
    assert claims["exp"] - claims["iat"] == 300


def test_an_auditor_token_from_the_command_line_may_verify_the_audit_trail(cli, anonymous):
    token = cli("token", "create", "--sub", "qa", "--role", "auditor").output.strip()

    response = anonymous.get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200, response.json


def test_a_command_line_token_for_an_account_enabled_again_is_accepted(app, cli, anonymous):
    from api.caller import system_actor
    from api.domain.accounts import set_account_active
    from tests.helpers import make_account

    account = make_account("returning-system", "client", "agency", agency="wmp")
    for active in (False, True):  # the account's tokens so far stay refused
        set_account_active(system_actor("test"), account.id, {"reason": "test"}, active=active)
        session.commit()

    result = cli("token", "create", "--sub", "returning-system", "--role", "agency",
                 "--agency", "wmp")

    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert claims_of(app, token)["gen"] == 1
    response = anonymous.get("/api/v1/agencies", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json


def test_a_command_line_token_for_a_subject_without_an_account_carries_no_generation(app, cli):
    result = cli("token", "create", "--sub", "no-such-account", "--role", "auditor")

    assert "gen" not in claims_of(app, result.output.strip())


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--role", "agency"], "agency"),
        (["--role", "manager"], "service"),
        (["--role", "practitioner"], "service"),
        (["--role", "wizard"], "role"),
        (["--role", "practitioner", "--service", "finance"], "service"),
        (["--role", "auditor", "--minutes", "0"], "minutes"),
    ],
    ids=["agency without agency", "manager without service", "practitioner without service",
         "unknown role", "unknown service", "zero minutes"],
)
def test_a_token_the_api_would_refuse_is_a_usage_error_not_a_token(cli, args, complaint):
    result = cli("token", "create", "--sub", "x", *args)

    assert result.exit_code == 2, result.output  # click's usage error
    assert "Usage:" in result.output
    assert complaint in result.output.lower()
    assert "eyJ" not in result.output  # no token was printed


def test_a_token_needs_a_subject(cli):
    result = cli("token", "create", "--role", "auditor")

    assert result.exit_code == 2
    assert "--sub" in result.output


# ---- audit verify ---------------------------------------------------------------------------


def test_audit_verify_prints_a_valid_chain_as_json_and_exits_zero(cli):
    head = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()

    result = cli("audit", "verify")

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["valid"] is True
    assert report["length"] == head.seq  # the reference data's events, seq 1..n
    assert report["head_hash"] == head.hash
    assert report["first_bad_seq"] is None


def test_audit_verify_on_the_command_line_agrees_with_the_api(cli, api_as):
    auditor = api_as("auditor")
    on_the_command_line = json.loads(cli("audit", "verify").output)

    response = auditor.get("/api/v1/audit/verify")

    assert response.status_code == 200, response.json
    assert response.json == on_the_command_line


def test_audit_verify_sees_events_written_by_the_api(cli, api_as):
    before = json.loads(cli("audit", "verify").output)
    created = api_as("agency", agency="wmp").post("/api/v1/contacts", json=contact_body())
    assert created.status_code == 201, created.json

    after = json.loads(cli("audit", "verify").output)

    assert after["valid"] is True
    assert after["length"] > before["length"]
    assert after["head_hash"] != before["head_hash"]


def test_audit_verify_reports_a_forged_event_and_exits_one(cli):
    head = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    forged = AuditEvent(
        seq=head.seq + 1, at=head.at, actor_sub="mallory", actor_role="admin",
        action="account.created", entity_type="account", entity_id="forged",
        data="{}", prev_hash=head.hash, hash="f" * 64,  # linked, but not its own hash
    )
    session.add(forged)
    session.commit()

    result = cli("audit", "verify")

    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["valid"] is False
    assert report["first_bad_seq"] == head.seq + 1
    assert report["length"] == head.seq + 1
