"""Demo reference data and cases, and the loader behind `flask seed` (idempotent).

Demo accounts and their secrets are for local use only (README); production loads
`--reference-only` and creates its accounts by other means.
"""

from datetime import date, timedelta

from sqlalchemy import select

from api.caller import system_actor
from api.db import session
from api.domain.accounts import create_account
from api.domain.contacts import record_contact
from api import audit
from api.models import Account, Agency, Contact
from api.timescales import london_date, now
from api.vocab import nhs_number_with_check_digit

from .cases import (
    OLDEST_DAYS, advance_case, child_number, clock_at, index_rng, is_referral, plan_of,
    received_time, recording_time,
)
from .data import (
    AGENCIES, DEMO_ACCOUNTS, EARLIER_REFERRAL_SOURCES, DEMO_CONCERNS, DEMO_ETHNICITIES, DEMO_NAMES,
)

DEMO_CONTACTS = 36


def load_agencies(actor):
    added = 0
    for code, name, kind, referral_source in AGENCIES:
        agency = session.get(Agency, code)
        if agency is None:
            agency = Agency(code=code, name=name, kind=kind, referral_source=referral_source)
            session.add(agency)
            session.flush()
            audit.record(actor, "agency.created", "agency", code, audit.snapshot(agency))
            added += 1
        elif EARLIER_REFERRAL_SOURCES.get(code) == agency.referral_source != referral_source:
            # Loaded by earlier seeds with a code the CIN census does not give this kind of
            # agency (police were 5A): the Annex A lists would mislabel its contacts.
            earlier, agency.referral_source = agency.referral_source, referral_source
            session.flush()
            audit.record(actor, "agency.referral_source_corrected", "agency", code,
                         {"from": earlier, "to": referral_source})
    return added


def load_accounts(actor):
    added = 0
    for account in DEMO_ACCOUNTS:
        if session.scalar(select(Account.id).where(Account.name == account["name"])) is None:
            create_account(actor, **account)
            added += 1
    return added


# Born well before the oldest demo contact, the same date each time the child returns (and in
# every run, so that a later, larger seed links a returning child to the record made earlier).
BIRTHS_BEFORE = date(2026, 4, 1)
PRE_BIRTH_CONCERN = (["substance_misuse", "parenting_capacity"], "Midwife concerned about the "
                     "mother's drug use in pregnancy; an older sibling was removed from her care "
                     "in another area. Baby due in a few months.")


def _demo_child(index, today):
    """The child of demo contact `index`: its own, or the one it comes back about (the same NHS
    number and date of birth link it to the same record); unborn for an unborn plan."""
    number = child_number(index)
    given, family = DEMO_NAMES[number % len(DEMO_NAMES)]
    ethnicity = DEMO_ETHNICITIES[number % len(DEMO_ETHNICITIES)]
    if ethnicity is None and (is_referral(number) or is_referral(index)):
        ethnicity = "NOBT"  # a referred child's is recorded: "information not yet obtained"
    if plan_of(index).variant == "unborn":
        received_on = london_date(received_time(index, today))
        return {
            "given_name": "Baby", "family_name": family, "sex": "unknown",
            "expected_date_of_birth": received_on + timedelta(
                days=index_rng(index, "due").randint(170, 260)),
            **({"ethnicity": ethnicity} if ethnicity else {}),
        }
    # Before the oldest contact (OLDEST_DAYS ago) even on a clock set before 2026.
    anchor = min(BIRTHS_BEFORE, today + timedelta(days=330 - OLDEST_DAYS - 1))
    return {
        "given_name": given,
        "family_name": family,
        "date_of_birth": anchor - timedelta(days=330 + (number * 911) % 5800),
        "sex": ("female", "male")[number % 2],
        # Nine digits a tenth apart: when one has no check digit, the next (one up) is not
        # another child's.
        "nhs_number": nhs_number_with_check_digit(f"94{number:06d}0"),
        **({"ethnicity": ethnicity} if ethnicity else {}),
    }


def _demo_contact(index, current):
    """A realistic contact, the same every run for the same index (bar dates, which follow
    today): the plan for it (seeds/cases.py PLANS) says how long ago it came in."""
    today = london_date(current)
    unborn = plan_of(index).variant == "unborn"
    agency = "maternity" if unborn else [
        "wmp", "wmp", "wmp", "oakfield-primary", "sandwell-academy", "hilltop-gp",
        "health-visiting", "city-hospital-ed", "housing", "family-member", "anonymous",
        "btp"][index % 12]
    categories, summary = PRE_BIRTH_CONCERN if unborn else DEMO_CONCERNS[index % len(DEMO_CONCERNS)]
    consent = [
        {"status": "given", "given_by": "Mother"},
        {"status": "not_sought", "reason": "Police protection notification; seeking consent could "
         "place the child at increased risk."},
        {"status": "refused", "given_by": "Father", "reason": "Father declined information sharing "
         "on the phone; will be revisited at home visit."},
        {"status": "overridden", "reason": "Significant harm concerns: information shared without "
         "consent under DPA 2018 sch. 1 para 18."},
    ][index % 4]
    return {
        "received_at": received_time(index, today),
        "source_agency": agency,
        "source_reference": f"DEMO-{index:04d}",
        "referrer": {"name": f"Demo referrer {index}", "role": "Designated safeguarding lead"
                     if "school" in agency or "academy" in agency or "primary" in agency
                     else "Midwife" if unborn else "Officer"},
        "channel": ["api", "phone", "secure_portal", "email"][index % 4],
        "children": [_demo_child(index, today)],
        "concerns": {"categories": categories, "summary": summary},
        "consent": consent,
    }


def load_contacts(actor, count=DEMO_CONTACTS):
    """Demo contacts 1..count, each taken through its plan; those loaded already are skipped."""
    existing = set(session.scalars(
        select(Contact.source_reference).where(Contact.recorded_by_sub == actor.sub)
    ))
    current = now()
    added = 0
    for index in range(1, count + 1):
        if f"DEMO-{index:04d}" in existing:
            continue
        data = _demo_contact(index, current)
        with clock_at(recording_time(data["received_at"], current)):
            contact = record_contact(actor, data)
        advance_case(index, contact, current)
        added += 1
    return added


def load(reference_only=False, contacts=DEMO_CONTACTS):
    """Load everything missing, in one transaction: the agencies, and unless `reference_only`
    the demo accounts and demo contacts 1..`contacts`. Returns what was added."""
    actor = system_actor("seed")
    counts = {"agencies": load_agencies(actor)}
    if not reference_only:
        counts["accounts"] = load_accounts(actor)
        counts["contacts"] = load_contacts(actor, contacts)
    session.commit()
    return counts
