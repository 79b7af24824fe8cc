"""Nothing lost: gunicorn serving the app (as `make run` does) on a database of the test's own,
driven from separate processes by bench/load.py's partners (contacts, retried with the same
Idempotency-Key, some while the first is in flight) and practitioners (decisions). A few seconds
each; bench/load.py runs the same for longer, with the speed figures.

What makes these fail: a replay that answers a different contact, a retry that records twice, an
acknowledged contact missing, a contact without its child, consent or audit event, a 5xx, an
audit chain that does not verify or is not exactly as long as the writes made. On PostgreSQL a
contact whose rows and audit event were committed by more than one transaction fails even
without a crash (xmin). With SIGKILL the gunicorn master preloads the app, so a killed worker's
replacement serves at once and a few seconds hold many kills; kills are aimed at a worker caught
in a commit's fsync (SQLite), where a handler committing in two steps would be cut in half."""

import pytest

from api import audit, create_app
from api.caller import Actor
from api.db import session
from api.domain import contacts as contacts_domain
from bench.load import Site, app_config, check_records, contact_body, nothing_lost
from schemas.contacts import ContactCreateSchema
from tests.helpers import site_roles

SECONDS = 5


def _failure(problems, facts):
    return "\n".join([str(facts), *problems[:20]])


def test_concurrent_partners_and_retries_lose_nothing_and_duplicate_nothing(
        fresh_database_url, tmp_path):
    site = Site(fresh_database_url, partners=5, practitioners=2, speed_clients=0,
                **site_roles(fresh_database_url))
    problems, facts = nothing_lost(site, SECONDS, workers=2, log_dir=tmp_path)
    assert problems == [], _failure(problems, facts)
    # The run did what it claims: contacts acknowledged, retries replayed, decisions recorded.
    assert facts["contacts_acknowledged"] >= 3, facts
    assert facts["replayed_answers"] >= 1, facts
    assert facts["decisions_acknowledged"] >= 1, facts
    assert facts["dropped_connections"] == 0, facts


def test_killed_workers_leave_no_partial_record_and_a_whole_chain(fresh_database_url, tmp_path):
    site = Site(fresh_database_url, partners=5, practitioners=2, speed_clients=0,
                **site_roles(fresh_database_url))
    problems, facts = nothing_lost(site, SECONDS + 5, workers=3, kill_every=0.3,
                                   log_dir=tmp_path, seed=7, preload=True)
    assert problems == [], _failure(problems, facts)
    assert facts["kills"] >= 2, facts
    assert facts["contacts_acknowledged"] >= 3, facts

    # The check itself finds what a crash between two commits would leave: a contact with its
    # child but without its audit event (as if the handler had committed before recording it).
    app = create_app(app_config(site.url, site.private_key, site.public_key))
    partner = Actor(sub="load-partner-0", role="agency", agency="wmp")
    with app.app_context(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(audit, "record", lambda *args, **kwargs: None)
        contacts_domain.record_contact(partner, contacts_domain_body("LOAD-partial-1"))
        session.commit()
        session.remove()
    app.extensions["db"].engine.dispose()
    problems, _facts = check_records(site, [{"op": "contact", "ref": "LOAD-partial-1",
                                             "status": None, "error": "RemoteDisconnected"}],
                                     crashed=True)
    assert any("LOAD-partial-1: 0 contact.recorded events" in p for p in problems), problems
    assert any("its child has no child.recorded event" in p for p in problems), problems


def contacts_domain_body(reference):
    """contact_body() as the schema would load it (dates and instants parsed)."""
    return ContactCreateSchema().load(contact_body("wmp", reference))
