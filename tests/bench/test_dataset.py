"""The benchmarks' synthetic front door (bench/dataset.py) stays loadable as the schema grows, and
its stored facts are those the domain code would have written: each rated contact's decision due
time, each decision's RAG fact, each information request's deadline, answer facts and state.

A few hundred contacts in a SQLite file of the test's own (the dataset's writer is the same on
both engines, and the bench refuses a database whose name lacks "bench")."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.auth import mint_token
from api.db import session
from api.models import (
    Contact, ContactChild, Decision, InformationRequest, InformationRequestChild, RagRating,
)
from api.timescales import information_due_at, rag_decision_due_at, start_of_london_day
from bench.dataset import DECIDED_WITHOUT_IT, NOW, bench_app, generate


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('dataset') / 'mash-bench-test.db'}"
    written = generate(url, 600, seed=7)
    app = bench_app(url)
    yield app, written
    app.extensions["db"].engine.dispose()


def test_the_dataset_writes_every_table_the_figures_read(bench):
    _app, written = bench
    rows = written["rows"]
    assert rows["contacts"] == 600
    for table in ("rag_ratings", "decisions", "information_requests", "information_request_children"):
        assert rows[table] > 0, table
    # Several requests a contact, one child row each.
    assert rows["information_requests"] == rows["information_request_children"]
    assert rows["information_requests"] >= 600


def test_rated_contacts_and_their_decisions_carry_the_domains_facts(bench):
    app, _written = bench
    with app.app_context():
        rated = session.execute(select(Contact, RagRating).join(
            RagRating, RagRating.contact_id == Contact.id)).all()
        assert {rating.rating for _c, rating in rated} == {"red", "amber", "green"}
        for contact, rating in rated:
            assert contact.rag_rating == rating.rating
            assert contact.decision_due_at == rag_decision_due_at(contact.received_at, rating.rating)
        unrated = session.scalars(select(Contact).where(Contact.rag_rating.is_(None))).all()
        assert unrated
        for contact in unrated:
            assert contact.decision_due_at == rag_decision_due_at(contact.received_at, None)
        firsts = session.execute(select(Decision, Contact.decision_due_at).join(
            Contact, Contact.id == Decision.contact_id).where(Decision.supersedes_id.is_(None))).all()
        assert {d.within_rag_deadline for d, _due in firsts} == {True, False}
        for decision, due in firsts:
            assert decision.within_rag_deadline == (decision.decided_at <= due)
        session.remove()


def test_information_requests_are_as_the_domain_would_have_recorded_them(bench):
    app, _written = bench
    with app.app_context():
        records = session.execute(select(InformationRequest, Contact).join(
            Contact, Contact.id == InformationRequest.contact_id)).all()
        statuses = {record.status for record, _c in records}
        assert {"answered", "withdrawn"} <= statuses
        assert {record.after_decision for record, _c in records if record.status == "answered"} \
            == {True, False}
        assert {record.within_deadline for record, _c in records if record.status == "answered"} \
            == {True, False}
        first_decided = dict(session.execute(select(Decision.contact_id, Decision.decided_at)
                                             .where(Decision.supersedes_id.is_(None))).all())
        for record, contact in records:
            assert record.rag_rating == contact.rag_rating
            assert record.due_at == information_due_at(record.requested_at, record.rag_rating)
            decided_at = first_decided.get(contact.id)
            assert decided_at is None or record.requested_at < decided_at
            if record.status == "answered":
                assert record.seconds_to_response == int(
                    (record.responded_at - record.requested_at).total_seconds())
                assert record.within_deadline == (record.responded_at <= record.due_at)
                assert record.after_decision == (decided_at is not None
                                                 and record.responded_at > decided_at)
                assert record.responded_at <= record.response_recorded_at <= NOW
            elif record.status == "withdrawn":
                assert (record.withdrawn_at, record.withdrawal_reason) == (decided_at, DECIDED_WITHOUT_IT)
            else:
                assert decided_at is None and record.responded_at is None
        # Each asks about one of its contact's children.
        strangers = session.scalar(
            select(func.count()).select_from(InformationRequestChild)
            .join(InformationRequest, InformationRequest.id == InformationRequestChild.request_id)
            .where(~select(ContactChild.child_id).where(
                ContactChild.contact_id == InformationRequest.contact_id,
                ContactChild.child_id == InformationRequestChild.child_id).exists()))
        assert strangers == 0
        session.remove()


def test_the_scorecard_over_the_dataset_agrees_with_the_rows(bench):
    app, _written = bench
    first, last = NOW.date() - timedelta(days=365), NOW.date()
    with app.app_context():
        token, _ = mint_token(app, "bench-auditor", "auditor")
        rows = session.execute(select(InformationRequest.agency, InformationRequest.status,
                                      InformationRequest.within_deadline).where(
            InformationRequest.requested_at >= start_of_london_day(first),
            InformationRequest.requested_at < start_of_london_day(last))).all()
        session.remove()
    response = app.test_client().get(f"/api/v1/metrics/timeliness?from={first}&to={last}",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_json()
    scorecard = response.get_json()["information_requests"]
    assert scorecard["requested"] == len(rows) > 0
    assert scorecard["answered"] == sum(status == "answered" for _a, status, _w in rows)
    assert scorecard["answered_in_time"]["count"] == sum(bool(w) for _a, _s, w in rows)
    assert scorecard["withdrawn"] == sum(status == "withdrawn" for _a, status, _w in rows)
    assert [a["agency"] for a in scorecard["by_agency"]] == sorted({a for a, _s, _w in rows})
    assert sum(a["requested"] for a in scorecard["by_agency"]) == len(rows)
