"""`flask seed`: demo data a newcomer can explore, loaded idempotently and audited like any write,
walking every state the DfE Children in Need census needs (seeds/cases.py PLANS), at 36 contacts
and at a larger size whose plans cycle."""

from datetime import date, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import func, select

from api import audit
from api.db import session
from api.models import Account, Agency, AuditEvent, Child, Contact, ContactChild, PossibleMatch
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


LARGER = 120  # four cycles of the 36 plans, less a few


@pytest.fixture(scope="module")
def larger(database_url, tmp_path_factory):
    """A second database seeded with LARGER demo contacts (`flask seed --contacts 120`)."""
    with own_database(database_url, tmp_path_factory.mktemp("seeds_larger"), "seedsl") as url:
        app = build_app(url)
        with app.app_context():
            counts = load(contacts=LARGER)
        yield app, counts
        app.extensions["db"].engine.dispose()


@pytest.fixture(params=["36", "larger"])
def any_seeded(request):
    """Each seeded database in turn: (app, number of demo contacts)."""
    if request.param == "36":
        return request.getfixturevalue("seeded")[0], DEMO_CONTACTS
    return request.getfixturevalue("larger")[0], LARGER


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


# ---- after the front door: what the CIN census needs ------------------------------------------


def _referrals():
    """{contact id: (contact, its current decision)} for the contacts that are referrals."""
    from api.models import Decision
    from api.vocab import REFERRAL_OUTCOMES

    rows = session.execute(
        select(Contact, Decision).join(Decision, Decision.contact_id == Contact.id)
        .where(Decision.superseded_by_id.is_(None), Decision.outcome.in_(REFERRAL_OUTCOMES))
    ).all()
    return {contact.id: (contact, decision) for contact, decision in rows}


def _child_of(contact_id):
    return session.scalar(select(ContactChild.child_id).where(ContactChild.contact_id == contact_id))


def test_the_demo_walks_every_state_of_the_cin_census(any_seeded):
    """Each state, for several children: (a) assessed, child in need plan, left open; (b) factor
    21, closed RC8; (c) allocated late, never allocated; (d) assessments open, overdue and not;
    (e) s47 conferences with a plan and its category, without one, not required, not yet held,
    and meetings not yet held; (f) NFA after a strategy meeting, closed RC7; (g) disabilities;
    (h) an unborn child referred."""
    from api.models import Allocation, Assessment, IcpcChild, StrategyMeeting

    app, size = any_seeded
    several = 2 * size // DEMO_CONTACTS
    current = app.test_clock()
    with app.app_context():
        referrals = _referrals()
        assessments = session.scalars(select(Assessment)).all()
        completed = [a for a in assessments if a.status == "completed"]
        factors = {a.id: [row.code for row in a.factor_rows] for a in completed}

        def closure(a):
            return referrals[a.contact_id][0].closure_reason

        # a: allocated within 5 working days, started, allocated, authorised with factors, a
        # primary need and a child in need plan; the referral left open.
        cin_plans = [a for a in completed if a.outcome == "child_in_need_plan"
                     and factors[a.id] != ["21"] and a.primary_need and closure(a) is None
                     and a.allocated_worker and referrals[a.contact_id][0].allocated_at
                     <= referrals[a.contact_id][1].allocation_due_at]
        assert len(cin_plans) >= several
        assert all(a.authorised_by_sub != a.started_by_sub for a in completed)
        assert {a.within_45_working_days for a in completed} == {True, False}
        # b: no factors identified, closed after the assessment.
        rc8 = [a for a in completed if factors[a.id] == ["21"] and closure(a) == "RC8"]
        assert len(rc8) >= several
        assert all(closure(a) == "RC8" for a in completed if factors[a.id] == ["21"])
        assert any(closure(a) == "RC9" and a.outcome == "early_help" for a in completed)
        # c: allocated late, and never.
        late = [c for c, d in referrals.values()
                if c.allocated_at is not None and c.allocated_at > d.allocation_due_at]
        assert len(late) >= several
        never = [c for c, d in referrals.values()
                 if c.allocated_at is None and d.allocation_due_at < current]
        assert len(never) >= several
        assert session.scalar(select(func.count()).select_from(Allocation).where(
            Allocation.contact_id.is_not(None))) == sum(
            1 for c, _d in referrals.values() if c.allocated_at is not None)
        assert session.scalar(select(func.count()).select_from(Allocation).where(
            Allocation.assessment_id.is_not(None))) == len(assessments)
        # d: open assessments, overdue and not.
        still_open = [a for a in assessments if a.status == "open"]
        assert sum(a.due_at < current for a in still_open) >= several
        assert sum(a.due_at >= current for a in still_open) >= several
        # e: s47 enquiries and their conferences; meetings still to be held.
        meetings = session.scalars(select(StrategyMeeting)).all()
        s47 = [m for m in meetings if m.outcome == "s47_enquiry"]
        plans = session.scalars(select(IcpcChild)).all()
        assert sum(p.child_protection_plan and p.category_of_abuse is not None
                   for p in plans) >= several
        assert all((p.category_of_abuse is not None) == p.child_protection_plan for p in plans)
        assert sum(not p.child_protection_plan for p in plans) >= several
        assert sum(bool(m.icpc_not_required) for m in s47) >= several
        assert sum(m.icpc_recorded_at is None for m in s47) >= several
        assert sum(m.status == "convened" for m in meetings) >= several
        assert {m.icpc_within_timescale for m in s47 if m.icpc_held_on} == {True, False}
        # f: no further action after the strategy meeting: closed RC7, with a primary need, no
        # assessment and no s47 (the census's ReferralNFA).
        nfa = [m for m in meetings if m.outcome == "no_further_action"]
        assert len(nfa) >= several
        for meeting in nfa:
            contact = referrals[meeting.contact_id][0]
            assert contact.closure_reason == "RC7" and contact.primary_need
            assert not any(a.contact_id == contact.id for a in assessments)
        # g: disabilities, a few with codes, most without.
        children = session.scalars(select(Child)).all()
        assert any(c.disability is True and len(c.disabilities) >= 2 for c in children)
        assert sum(c.disability is False for c in children) > sum(c.disability is True
                                                                   for c in children)
        # h: an unborn child, referred.
        referred = {_child_of(contact_id) for contact_id in referrals}
        unborn = [c for c in children if c.expected_date_of_birth is not None]
        assert unborn and all(c.date_of_birth is None and c.sex == "unknown" for c in unborn)
        assert {c.id for c in unborn} <= referred


def test_every_referred_child_has_a_disability_recorded(any_seeded):
    """Annex A and the census need it of every child referred (born: an unborn child's is
    recorded as not known); a child with no referral may have none recorded."""
    app, _size = any_seeded
    with app.app_context():
        referred = {_child_of(contact_id) for contact_id in _referrals()}
        children = {c.id: c for c in session.scalars(select(Child))}
        for child_id in referred:
            child = children[child_id]
            if child.date_of_birth is not None:
                assert child.disability is not None, child.reference
                assert bool(child.disabilities) == child.disability
        recorded = set(session.scalars(select(AuditEvent.entity_id).where(
            AuditEvent.action == "child.disability_recorded")))
        assert {str(child_id) for child_id in referred} <= recorded
        assert all(c.disability is None for c in children.values() if c.id not in referred)


def test_no_conference_is_held_on_a_weekend_or_before_its_meeting(any_seeded):
    from api.models import StrategyMeeting
    from api.timescales import london_date

    app, _size = any_seeded
    with app.app_context():
        held = session.scalars(select(StrategyMeeting).where(
            StrategyMeeting.icpc_held_on.is_not(None))).all()
        assert held
        for meeting in held:
            assert meeting.icpc_held_on.weekday() < 5  # census rule 8875
            assert london_date(meeting.held_at) <= meeting.icpc_held_on <= london_date(
                app.test_clock())


def test_the_census_dates_of_each_child_hang_together(any_seeded):
    """What the census's validation checks between dates: an assessment starts on or after the
    referral and is authorised after it starts, the child seen between; a closure follows
    everything on the referral; a child never has two open referrals, nor one referral starting
    inside another's dates; nothing is in the future or before the census year."""
    from api.models import Assessment, StrategyMeeting
    from api.timescales import london_date

    app, _size = any_seeded
    today = london_date(app.test_clock())
    with app.app_context():
        referrals = _referrals()
        referred_on = {cid: london_date(d.decided_at) for cid, (_c, d) in referrals.items()}
        for a in session.scalars(select(Assessment)):
            assert london_date(a.started_at) >= referred_on[a.contact_id]
            if a.status == "completed":
                assert a.started_at <= a.authorised_at and a.child_seen_at <= a.authorised_at
                assert london_date(a.child_seen_at) >= referred_on[a.contact_id]
            closed_on = referrals[a.contact_id][0].closed_on
            if closed_on is not None:
                assert a.status == "completed" and london_date(a.authorised_at) <= closed_on
        for meeting in session.scalars(select(StrategyMeeting)):
            closed_on = referrals[meeting.contact_id][0].closed_on
            if closed_on is not None and meeting.outcome == "s47_enquiry":
                assert meeting.icpc_recorded_at is not None
                assert meeting.icpc_held_on is None or meeting.icpc_held_on <= closed_on
        episodes = {}
        for contact_id, (contact, _decision) in referrals.items():
            assert date(2026, 4, 1) <= referred_on[contact_id] <= today
            assert contact.closed_on is None or referred_on[contact_id] <= contact.closed_on <= today
            episodes.setdefault(_child_of(contact_id), []).append(
                (referred_on[contact_id], contact.closed_on))
        assert any(len(each) > 1 for each in episodes.values())  # referred again
        for each in episodes.values():
            each.sort()
            assert sum(closed is None for _start, closed in each) <= 1
            for (_start, closed), (next_start, _next) in pairwise(each):
                assert closed is not None and closed <= next_start


def test_the_demo_contacts_are_spread_over_months_since_the_census_year_began(any_seeded):
    from api.timescales import london_date
    from seeds.cases import FIRST_DAY, LAST_DAYS

    app, size = any_seeded
    today = london_date(app.test_clock())
    with app.app_context():
        received = [london_date(at) for at in session.scalars(select(Contact.received_at))]
    assert len(received) == size
    assert min(received) >= FIRST_DAY
    assert max(received) <= today - timedelta(days=LAST_DAYS)
    assert (max(received) - min(received)).days >= 150


def test_the_demo_childrens_nhs_numbers_are_valid_and_their_own(any_seeded):
    from api.vocab import nhs_number_is_valid

    app, size = any_seeded
    with app.app_context():
        children = session.scalars(select(Child)).all()
        returning = session.scalars(
            select(ContactChild.child_id).group_by(ContactChild.child_id)
            .having(func.count(ContactChild.contact_id) >= 2)).all()
        matches = session.scalar(select(func.count()).select_from(PossibleMatch))
    born = [c for c in children if c.date_of_birth is not None]
    assert all(nhs_number_is_valid(c.nhs_number) for c in born)
    assert len({c.nhs_number for c in born}) == len(born)
    assert all(c.nhs_number is None for c in children if c.date_of_birth is None)
    assert len(returning) >= size // 12 and len(children) < size
    assert matches == 0  # no child is taken for another


def test_the_plans_cycle_and_each_index_comes_out_the_same_at_any_size(seeded, larger):
    """Demo contact i of the larger seed is in the state of contact i of the 36, and contact
    i + 36 in the same state as i: `flask seed --contacts N` walks the same states again."""
    from api.models import Assessment, Decision, StrategyMeeting

    def states(app):
        with app.app_context():
            out = {}
            for contact in session.scalars(select(Contact)):
                decision = session.scalar(select(Decision).where(
                    Decision.contact_id == contact.id, Decision.superseded_by_id.is_(None)))
                meeting = session.scalar(select(StrategyMeeting).where(
                    StrategyMeeting.contact_id == contact.id))
                out[int(contact.source_reference.removeprefix("DEMO-"))] = (
                    decision and decision.outcome, contact.closure_reason,
                    contact.allocated_at is not None, contact.rag_rating,
                    tuple(sorted(a.status for a in session.scalars(select(Assessment).where(
                        Assessment.contact_id == contact.id)))),
                    meeting and (meeting.status, meeting.outcome, meeting.icpc_not_required,
                                 meeting.icpc_held_on is not None))
            return out

    small, big = states(seeded[0]), states(larger[0])
    assert {i: big[i] for i in small} == small
    for index in range(DEMO_CONTACTS + 1, LARGER + 1):
        earlier = index - DEMO_CONTACTS
        # the same state, bar what depends on the concern (index % 8) or the rating (MASH_WORK)
        assert big[index][:3] == big[earlier][:3], index
        assert big[index][4:] == big[earlier][4:], index


def test_the_larger_seed_loads_its_contacts_once_and_its_trail_and_states_verify(larger):
    from api import record_state

    app, counts = larger
    assert counts == {"agencies": 0, "accounts": len(DEMO_ACCOUNTS), "contacts": LARGER}
    with app.app_context():
        before = {model: count(model) for model in (Contact, Child, AuditEvent)}
        assert load(contacts=LARGER) == {"agencies": 0, "accounts": 0, "contacts": 0}
        assert {model: count(model) for model in (Contact, Child, AuditEvent)} == before
        assert audit.verify().valid is True
        assert record_state.check_states().as_dict()["valid"] is True


def test_the_state_of_every_seeded_record_matches_its_latest_event(seeded):
    from api import record_state

    app, _ = seeded
    with app.app_context():
        assert record_state.check_states().as_dict()["valid"] is True


def test_flask_seed_takes_the_number_of_demo_contacts(larger):
    app, _ = larger
    runner = app.test_cli_runner()
    # In this app's context: the command runs in the current app's (the suite's is pushed too).
    with app.app_context():
        again = runner.invoke(args=["seed", "--contacts", str(LARGER)])
        assert again.exit_code == 0, again.output
        assert again.output == "agencies: 0 added, accounts: 0 added, contacts: 0 added\n"
        both = runner.invoke(args=["seed", "--reference-only", "--contacts", "5"])
        assert both.exit_code != 0 and "--reference-only" in both.output
        assert count(Contact) == LARGER
