"""The contact rules in api/domain, called directly (no HTTP): the actor and the data as parsed."""

import uuid
from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from api.caller import Actor
from api.db import session
from api.domain.contacts import get_contact, list_contacts, record_consent, record_contact
from api.errors import Forbidden, NotFound, RuleViolation
from api.models import AuditEvent, Child
from api.vocab import nhs_number_is_valid
from schemas.contacts import ContactCreateSchema
from tests.helpers import POLICE, PRACTITIONER, contact_body, parsed


TRANSPORT_POLICE = Actor(sub="btp-case-system", role="agency", agency="btp")


def child(**fields):
    return {"given_name": "Amelia", "family_name": "Hughes", "date_of_birth": "2019-04-02", **fields}


def events(action):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def page_ids(actor, **args):
    return [c.id for c in list_contacts(actor, {"limit": 50, **args})["items"]]


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("9434765919", True),
        ("4010232137", True),
        ("4857773457", True),
        ("4010232110", True),   # weighted sum divisible by 11: the check digit is 0
        ("4010232111", False),
        ("9434765918", False),  # wrong check digit
        ("1234567890", False),  # the check digit would be 10
        ("943476591", False),
        ("94347659190", False),
        ("94347659A9", False),
        ("", False),
    ],
)
def test_nhs_numbers_are_checked_by_modulus_11(digits, valid):
    assert nhs_number_is_valid(digits) is valid


@pytest.mark.parametrize(
    ("second", "field"),
    [({"nhs_number": "943-476-5919"}, "nhs_number"), ({"local_child_id": " LC-9 "}, "local_child_id")],
)
def test_the_schema_refuses_the_same_child_twice_before_the_database_is_asked(second, field):
    children = [child(nhs_number="9434765919", local_child_id="LC-9"), child(**second)]

    with pytest.raises(ValidationError) as refused:
        ContactCreateSchema().load(contact_body(children=children))

    assert list(refused.value.messages) == [f"children[1].{field}"]


def test_recording_a_contact_writes_its_audit_events_in_the_same_transaction():
    contact = record_contact(POLICE, parsed())

    [recorded] = events("contact.recorded")
    [child_recorded] = events("child.recorded")
    assert recorded.entity_id == str(contact.id)
    assert recorded.actor_sub == "wmp-case-system"
    assert child_recorded.entity_id == str(contact.children[0].id)


def test_an_agency_may_not_record_for_another_agency():
    with pytest.raises(Forbidden) as refused:
        record_contact(POLICE, parsed(source_agency="btp"))

    assert "source_agency" in refused.value.errors


def test_an_unknown_agency_code_is_a_rule_violation_on_source_agency():
    with pytest.raises(RuleViolation) as refused:
        record_contact(PRACTITIONER, parsed(source_agency="nowhere"))

    assert list(refused.value.errors) == ["source_agency"]


def test_received_at_is_judged_against_the_injected_clock(clock):
    data = parsed(received_at="2026-11-21T09:00:00Z")
    with pytest.raises(RuleViolation) as refused:
        record_contact(PRACTITIONER, data)
    assert list(refused.value.errors) == ["received_at"]

    clock.set(datetime(2026, 11, 21, 9, 30, tzinfo=UTC))
    assert record_contact(PRACTITIONER, data).received_at == datetime(2026, 11, 21, 9, tzinfo=UTC)


@pytest.mark.parametrize("status", ["refused", "not_sought", "overridden"])
def test_a_contact_is_recorded_whatever_its_consent(status):
    contact = record_contact(PRACTITIONER, parsed(consent={"status": status, "reason": "Risk."}))

    assert contact.status == "awaiting_decision"
    assert contact.consent_status == status
    assert [r.status for r in contact.consent_history] == [status]


def test_a_consent_change_appends_to_the_history_and_updates_the_contact(clock):
    contact = record_contact(POLICE, parsed())
    clock.advance(minutes=30)

    record_consent(PRACTITIONER, contact.id, {"status": "given", "given_by": "Mother"})

    assert [(r.status, r.recorded_by_sub) for r in contact.consent_history] == [
        ("not_sought", "wmp-case-system"), ("given", "pat.practitioner"),
    ]
    assert contact.consent_history[1].recorded_at == datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
    assert (contact.consent_status, contact.consent_given_by, contact.consent_reason) == (
        "given", "Mother", None,
    )
    assert len(events("contact.consent_recorded")) == 1


def test_an_agency_sees_only_what_an_agency_client_of_its_own_posted():
    own = record_contact(POLICE, parsed())
    staff_for_wmp = record_contact(PRACTITIONER, parsed())
    other = record_contact(TRANSPORT_POLICE, parsed(source_agency="btp"))

    assert page_ids(POLICE) == [own.id]
    assert get_contact(POLICE, own.id) is own
    for hidden in (staff_for_wmp, other):
        with pytest.raises(NotFound):
            get_contact(POLICE, hidden.id)
    assert set(page_ids(PRACTITIONER)) == {own.id, staff_for_wmp.id, other.id}


def test_an_unknown_contact_is_not_found():
    with pytest.raises(NotFound):
        get_contact(PRACTITIONER, uuid.uuid4())


def _matches(contact):
    from api.models import PossibleMatch

    return [(m.position, m.candidate_id, m.evidence) for m in session.scalars(
        select(PossibleMatch).where(PossibleMatch.contact_id == contact.id)
        .order_by(PossibleMatch.position))]


def test_a_child_is_linked_again_only_by_nhs_number_and_date_of_birth():
    """Changed rule: a local id used to link a later contact and write its NHS number into the
    record (child.identifiers_added)."""
    first = record_contact(PRACTITIONER, parsed(children=[child(local_child_id="LC-1")]))
    by_local = record_contact(PRACTITIONER, parsed(children=[child(local_child_id="LC-1",
                                                                    nhs_number="9434765919")]))
    by_nhs = record_contact(PRACTITIONER, parsed(children=[child(nhs_number="9434765919")]))

    [amelia] = first.children
    [other] = by_local.children
    assert other is not amelia
    assert _matches(by_local) == [(0, amelia.id, ["local_child_id", "name_and_date_of_birth"])]
    assert by_nhs.children == [other]  # the NHS number and date of birth are the new record's
    assert amelia.nhs_number is None and amelia.local_child_id == "LC-1"
    assert events("child.identifiers_added") == []
    assert len(events("child.recorded")) == 2


def test_identifiers_of_two_different_children_link_by_nhs_number_and_leave_a_possible_match():
    """Changed rule: once a RuleViolation naming both records."""
    [amelia] = record_contact(PRACTITIONER, parsed(children=[child(nhs_number="9434765919")])).children
    [ben] = record_contact(PRACTITIONER, parsed(children=[
        child(given_name="Ben", date_of_birth="2018-08-08", local_child_id="LC-2")])).children

    contact = record_contact(PRACTITIONER, parsed(children=[child(nhs_number="9434765919",
                                                                  local_child_id="LC-2")]))

    assert contact.children == [amelia]
    assert _matches(contact) == [(0, ben.id, ["local_child_id"])]


def test_nothing_a_partner_gives_is_refused_for_what_the_council_holds():
    """The same post by an agency is accepted whatever the records hold (no RuleViolation naming
    another child): known NHS number with another date of birth, known local id, both at once."""
    record_contact(PRACTITIONER, parsed(children=[child(nhs_number="9434765919", local_child_id="LC-3")]))
    record_contact(PRACTITIONER, parsed(children=[child(given_name="Ben", date_of_birth="2018-08-08",
                                                        local_child_id="LC-4")]))

    contact = record_contact(POLICE, parsed(children=[
        child(nhs_number="9434765919", date_of_birth="2019-04-03", local_child_id="LC-4"),
        child(given_name="Cara", local_child_id="LC-3")]))

    assert len(contact.children) == 2
    assert {position for position, _, _ in _matches(contact)} == {0, 1}
