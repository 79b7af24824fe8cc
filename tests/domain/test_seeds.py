"""`flask seed`: demo data a newcomer can explore, loaded idempotently and audited like any write."""


import pytest
from sqlalchemy import func, select

from api import audit
from api.db import session
from api.models import Account, Agency, AuditEvent, Child, Contact, ContactChild
from api.vocab import CONSENT_STATUSES, ROLES
from seeds import DEMO_CONTACTS, load
from seeds.data import AGENCIES, DEMO_ACCOUNTS
from tests.helpers import build_app, own_database


@pytest.fixture(scope="module")
def seeded_database_url(database_url, tmp_path_factory):
    """A database of this module's own: seeding hashes ten demo secrets, so it is done once."""
    with own_database(database_url, tmp_path_factory.mktemp("seeds"), "seeds") as url:
        yield url


@pytest.fixture(scope="module")
def seeded(seeded_database_url):
    """A fresh app (reference agencies loaded) seeded once with the demo data: (app, counts)."""
    app = build_app(seeded_database_url)
    with app.app_context():
        counts = load()
    yield app, counts
    app.extensions["db"].engine.dispose()


def count(model):
    return session.scalar(select(func.count()).select_from(model))


def test_the_first_seed_adds_the_demo_accounts_and_contacts(seeded):
    app, counts = seeded
    # build_app loaded the reference agencies already.
    assert counts == {"agencies": 0, "accounts": len(DEMO_ACCOUNTS), "contacts": DEMO_CONTACTS}
    with app.app_context():
        assert count(Agency) == len(AGENCIES)
        assert count(Account) == len(DEMO_ACCOUNTS)
        assert count(Contact) == DEMO_CONTACTS


def test_seeding_twice_adds_nothing_the_second_time_and_the_chain_still_verifies(seeded):
    app, _ = seeded
    with app.app_context():
        before = {model: count(model) for model in (Agency, Account, Contact, Child, AuditEvent)}
        assert load() == {"agencies": 0, "accounts": 0, "contacts": 0}
        after = {model: count(model) for model in (Agency, Account, Contact, Child, AuditEvent)}
        assert after == before
        result = audit.verify()
        assert result.valid is True
        assert result.length == before[AuditEvent]


def test_every_seeded_write_is_in_the_audit_trail_under_the_seed_actor(seeded):
    app, _ = seeded
    with app.app_context():
        actions = dict(session.execute(
            select(AuditEvent.action, func.count()).group_by(AuditEvent.action)
        ).all())
        assert actions["agency.created"] == len(AGENCIES)
        assert actions["account.created"] == len(DEMO_ACCOUNTS)
        assert actions["contact.recorded"] == DEMO_CONTACTS
        assert actions["child.recorded"] == count(Child)
        subs = set(session.scalars(select(AuditEvent.actor_sub).distinct()))
        # The seed acts in demo staff's roles for the demo cases, and says so in every event.
        assert "system:seed" in subs
        assert all(sub == "system:seed" or sub.startswith("system:seed/") for sub in subs)


def test_there_is_a_demo_account_for_every_role(seeded):
    app, _ = seeded
    with app.app_context():
        roles = set(session.scalars(select(Account.role).where(Account.active)))
    assert roles == set(ROLES)


def test_demo_accounts_can_sign_in_with_their_documented_secrets(seeded):
    app, _ = seeded
    client = app.test_client()
    person = client.post("/api/v1/auth/token",
                         json={"username": "priya.mash", "password": "demo-password"})
    assert person.status_code == 200, person.json
    partner = client.post("/api/v1/auth/token",
                          json={"client_id": "wmp-client", "client_secret": "demo-client-secret"})
    assert partner.status_code == 200, partner.json


def test_no_demo_secret_is_stored_in_the_clear_or_written_to_the_audit_trail(seeded):
    app, _ = seeded
    with app.app_context():
        hashes = session.scalars(select(Account.secret_hash)).all()
        assert not {"demo-password", "demo-client-secret"} & set(hashes)
        data = session.scalars(
            select(AuditEvent.data).where(AuditEvent.action == "account.created")
        ).all()
    assert all("secret" not in text and "demo-password" not in text for text in data)


def test_the_demo_contacts_show_every_consent_status(seeded):
    app, _ = seeded
    with app.app_context():
        statuses = set(session.scalars(select(Contact.consent_status).distinct()))
    assert statuses == set(CONSENT_STATUSES)


def test_some_demo_children_are_linked_from_more_than_one_contact(seeded):
    app, _ = seeded
    with app.app_context():
        returning = session.scalars(
            select(ContactChild.child_id)
            .group_by(ContactChild.child_id)
            .having(func.count(ContactChild.contact_id) >= 2)
        ).all()
        assert returning
        assert count(Child) < DEMO_CONTACTS  # returning children were not recorded twice


def test_the_demo_contacts_come_from_several_kinds_of_agency_over_several_months(seeded):
    app, _ = seeded
    with app.app_context():
        agencies = set(session.scalars(select(Contact.source_agency).distinct()))
        earliest, latest = session.execute(
            select(func.min(Contact.received_at), func.max(Contact.received_at))
        ).one()
    assert len(agencies) >= 5
    assert (latest - earliest).days >= 90
    assert latest <= app.test_clock()


def test_seeding_corrects_the_referral_sources_earlier_seeds_gave_and_nothing_else(db):
    """Police loaded as 5A by earlier seeds become 6 (CIN census), audited; a code a council set
    itself is left alone; running it again changes nothing."""
    from seeds import load_agencies
    from seeds.data import EARLIER_REFERRAL_SOURCES
    from api.caller import Actor

    actor = Actor(sub="system:seed", role="admin")
    session.get(Agency, "wmp").referral_source = EARLIER_REFERRAL_SOURCES["wmp"]  # "5A"
    session.get(Agency, "btp").referral_source = "7"  # a council's own choice
    session.flush()

    assert load_agencies(actor) == 0
    assert session.get(Agency, "wmp").referral_source == "6"
    assert session.get(Agency, "btp").referral_source == "7"
    corrected = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "agency.referral_source_corrected")).all()
    assert [(e.entity_id, e.data_object) for e in corrected] == [("wmp", {"from": "5A", "to": "6"})]

    load_agencies(actor)
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "agency.referral_source_corrected")) == 1


def test_the_demo_walks_the_mashs_own_work_ratings_and_information_requests(seeded):
    """Rated contacts (each rating), and requests answered in time and late, withdrawn by staff
    and by a decision made without them, kept open and answered after the decision, and open
    past their deadline: each as the API records it, in the order things happen."""
    from api.models import Decision, InformationRequest, RagRating
    from api.domain.information_requests import DECIDED_WITHOUT_IT

    app, _ = seeded
    current = app.test_clock()
    with app.app_context():
        ratings = session.execute(select(RagRating, Contact).join(Contact)).all()
        assert {rating.rating for rating, _c in ratings} == {"red", "amber", "green"}
        for rating, contact in ratings:
            assert contact.recorded_at <= rating.rated_at < current
        requests = session.execute(select(InformationRequest, Contact).join(Contact)).all()
        answered = [r for r, _c in requests if r.status == "answered"]
        assert {r.within_deadline for r in answered} == {True, False}
        assert {r.after_decision for r in answered} == {True, False}
        withdrawn = {r.withdrawal_reason for r, _c in requests if r.status == "withdrawn"}
        assert DECIDED_WITHOUT_IT in withdrawn and len(withdrawn) == 2
        assert any(r.status == "open" and r.due_at < current for r, _c in requests)
        for record, contact in requests:
            assert contact.recorded_at <= record.requested_at
            assert record.requested_at <= (record.responded_at or record.withdrawn_at or record.requested_at) < current
            first = session.scalar(select(Decision).where(
                Decision.contact_id == contact.id, Decision.supersedes_id.is_(None)))
            if first is not None:
                assert record.requested_at < first.decided_at <= first.recorded_at
        # Each is in the audit trail, as any write is.
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "information_request.requested")) == len(requests)
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "information_request.answered")) == len(answered)


def test_each_demo_record_was_recorded_after_what_it_follows_and_never_in_the_future(seeded):
    from api.models import Decision

    app, _ = seeded
    current = app.test_clock()
    with app.app_context():
        for decision, contact in session.execute(select(Decision, Contact).join(Contact)).all():
            assert contact.received_at <= contact.recorded_at <= decision.recorded_at < current
            assert decision.decided_at <= decision.recorded_at
        assert session.scalar(select(func.max(AuditEvent.at))) <= current
