"""openapi.yaml is usable as partners use it: a client generated from it (openapi-python-client)
posts a contact and reads it back, with a real token, against the app (in process, over WSGI)."""

import importlib
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from api.config import PROJECT_ROOT
from tests.helpers import contact_body, token_for

PACKAGE = "front_door_client"


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory):
    """The client package generated from the committed openapi.yaml, imported from a temporary
    directory (nothing is written into the repository)."""
    directory = tmp_path_factory.mktemp("generated")
    config = directory / "config.yaml"
    # No formatting hooks: they would need ruff on PATH and change nothing the test uses. The CIN
    # census return is XML, which the generator reads as bytes when told to (its documented
    # content_type_overrides), as a partner's developer would.
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n"
                      "content_type_overrides:\n  application/xml: application/octet-stream\n")
    generator = Path(sys.executable).parent / "openapi-python-client"
    result = subprocess.run(
        [
            generator, "generate", "--path", PROJECT_ROOT / "openapi.yaml", "--meta", "none",
            "--output-path", directory / PACKAGE, "--config", config, "--fail-on-warning",
        ],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"openapi-python-client failed:\n{result.stdout}\n{result.stderr}"
    sys.path.insert(0, str(directory))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(directory))
        for name in [name for name in sys.modules if name.partition(".")[0] == PACKAGE]:
            del sys.modules[name]


def partner_client(package, app, token):
    """The generated client as a partner would build it, its requests handed to the app in
    process rather than over a socket."""
    return package.AuthenticatedClient(
        base_url="http://front-door.test",
        token=token,
        raise_on_unexpected_status=True,  # a status the document does not list is a failure
        httpx_args={"transport": httpx.WSGITransport(app=app)},
    )


def test_a_client_generated_from_openapi_yaml_posts_a_contact_and_reads_it_back(
    app, generated_client
):
    create_contact = importlib.import_module(f"{PACKAGE}.api.contacts.create_contact")
    get_contact = importlib.import_module(f"{PACKAGE}.api.contacts.get_contact")
    models = importlib.import_module(f"{PACKAGE}.models")
    sent = contact_body()

    with partner_client(generated_client, app, token_for(app, "agency", agency="wmp")) as client:
        created = create_contact.sync_detailed(
            client=client, body=models.ContactCreate.from_dict(sent),
            idempotency_key="generated-client-1",
        )
        assert created.status_code == 201, created.content
        contact = created.parsed
        assert isinstance(contact, models.Contact)
        assert isinstance(contact.id, UUID)
        assert created.headers["Location"].endswith(f"/api/v1/contacts/{contact.id}")

        read = get_contact.sync_detailed(contact.id, client=client)
        assert read.status_code == 200, read.content

    again = read.parsed
    assert isinstance(again, models.Contact)
    assert again.id == contact.id
    assert again.reference == contact.reference and again.reference.startswith("C-")
    # The document's formats arrive as Python types: uuid, date-time (in UTC), date.
    assert again.received_at.isoformat() == "2026-11-20T09:00:00+00:00"
    [child] = again.children
    assert isinstance(child.id, UUID)
    assert child.date_of_birth.isoformat() == "2019-04-02"
    body = again.to_dict()
    assert body["status"] == "awaiting_decision"
    for field in ("source_agency", "source_reference", "channel", "referrer", "concerns"):
        assert body[field] == sent[field], field
    assert {key: body["consent"][key] for key in sent["consent"]} == sent["consent"]
    assert {key: body["children"][0][key] for key in sent["children"][0]} == sent["children"][0]
    assert body == contact.to_dict()
