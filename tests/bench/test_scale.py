"""The scale benchmark (bench/scale.py) keeps working as the schema grows: what it builds beside the
front door (the audit chain, the access log and its seals, a child with many contacts, a signed
checkpoint) is what the app would have written, so the app verifies it; and its operations run.

A few hundred contacts in a SQLite file of the test's own (the bench refuses a database whose
name lacks "bench")."""

import uuid

import pytest
from sqlalchemy import func, select

from api import audit
from api.db import session
from api.models import AccessEvent, AccessEventRecord, AuditEvent, ContactChild
from bench.dataset import bench_app
from bench.scale import build, operation, sidecar_path

CONTACTS = 300


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('scale') / 'mash-bench-scale-test.db'}"
    return url, build(url, CONTACTS, seed=11)


@pytest.fixture(scope="module")
def scale_app(built):
    url, data = built
    app = bench_app(url, JWT_PRIVATE_KEY=data["keys"][0], JWT_PUBLIC_KEY=data["keys"][1],
                    ACCESS_SEAL_SECONDS=0)
    yield app
    app.extensions["db"].engine.dispose()


def test_the_chain_it_builds_verifies_with_its_seals(built, scale_app):
    _url, data = built
    with scale_app.app_context():
        verification = audit.verify()
        assert verification.valid, verification
        assert verification.length == data["chain_length"] > CONTACTS * 3
        seals = verification.access_log
        assert seals.valid and seals.batches == data["rows"]["seals"] > 0
        assert seals.sealed + seals.unsealed == data["rows"]["access_events"]
        actions = set(session.scalars(select(AuditEvent.action).distinct()))
        session.remove()
    assert {"contact.recorded", "decision.recorded", "feedback.recorded",
            "access.sealed"} <= actions


def test_the_access_log_holds_reads_of_contacts_and_children(built, scale_app):
    _url, data = built
    with scale_app.app_context():
        events = session.scalar(select(func.count()).select_from(AccessEvent))
        records = session.scalar(select(func.count()).select_from(AccessEventRecord))
        kinds = set(session.scalars(select(AccessEvent.entity_type).distinct()))
        hot_reads = session.scalar(select(func.count()).select_from(AccessEventRecord)
                                   .where(AccessEventRecord.record_id == data["hot_child"]))
        hot_contacts = session.scalar(select(func.count()).select_from(ContactChild)
                                      .where(ContactChild.child_id == uuid.UUID(data["hot_child"])))
        session.remove()
    assert events == data["rows"]["access_events"] >= CONTACTS * 2
    assert records == data["rows"]["access_event_records"] > events
    assert kinds == {"contact", "child"}
    assert hot_reads > 0
    assert hot_contacts == data["hot_child_contacts"] >= CONTACTS // 3


def test_the_checkpoint_a_day_before_verifies_as_a_job(built):
    url, data = built
    assert sidecar_path(url).exists()
    assert data["checkpoint_length"] < data["chain_length"]
    (result,) = operation("verify_checkpoint", url, data)
    assert result["rows"] > 0 and result["seconds"] > 0


@pytest.mark.parametrize("name", ["verify_job", "access", "chronology", "decisions_12"])
def test_operations_run(built, name):
    url, data = built
    results = operation(name, url, data)
    assert results and all(result["rows"] > 0 for result in results)
