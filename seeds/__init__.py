"""Demo reference data and cases, and the loader behind `flask seed` (idempotent).

Demo accounts and their secrets are for local use only (README); production loads
`--reference-only` and creates its accounts by other means.
"""

import random
from datetime import timedelta

from sqlalchemy import select

from api.caller import system_actor
from api.db import session
from api.domain.accounts import create_account
from api.domain.contacts import record_contact
from api import audit
from api.models import Account, Agency, Contact
from api.timescales import now
from api.vocab import SEXES, nhs_number_with_check_digit

from .cases import advance_case, clock_at, recording_time
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


def _demo_contact(index, rng, current):
    """A realistic contact, the same every run for the same index (bar dates, which follow today)."""
    agency = ["wmp", "wmp", "wmp", "oakfield-primary", "sandwell-academy", "hilltop-gp",
              "health-visiting", "city-hospital-ed", "housing", "family-member", "anonymous",
              "btp"][index % 12]
    # A few children come back: the same NHS number links later contacts to the same child.
    child_number = index if index % 5 else max(index - 7, 1)
    given, family = DEMO_NAMES[child_number % len(DEMO_NAMES)]
    received_at = current - timedelta(days=2 + (index * 113) % 120, hours=rng.randint(0, 9),
                                      minutes=rng.randint(0, 59))
    categories, summary = DEMO_CONCERNS[index % len(DEMO_CONCERNS)]
    consent = [
        {"status": "given", "given_by": "Mother"},
        {"status": "not_sought", "reason": "Police protection notification; seeking consent could "
         "place the child at increased risk."},
        {"status": "refused", "given_by": "Father", "reason": "Father declined information sharing "
         "on the phone; will be revisited at home visit."},
        {"status": "overridden", "reason": "Significant harm concerns: information shared without "
         "consent under DPA 2018 sch. 1 para 18."},
    ][index % 4]
    # Born well before the oldest demo contact, and the same date each time the child returns.
    age_days = 330 + (child_number * 911) % 5800
    ethnicity = DEMO_ETHNICITIES[child_number % len(DEMO_ETHNICITIES)]
    return {
        "received_at": received_at,
        "source_agency": agency,
        "source_reference": f"DEMO-{index:04d}",
        "referrer": {"name": f"Demo referrer {index}", "role": "Designated safeguarding lead"
                     if "school" in agency or "academy" in agency or "primary" in agency else "Officer"},
        "channel": ["api", "phone", "secure_portal", "email"][index % 4],
        "children": [{
            "given_name": given,
            "family_name": family,
            "date_of_birth": (current - timedelta(days=age_days)).date(),
            "sex": SEXES[child_number % 3],
            "nhs_number": nhs_number_with_check_digit(f"94{child_number:07d}"),
            **({"ethnicity": ethnicity} if ethnicity else {}),
        }],
        "concerns": {"categories": categories, "summary": summary},
        "consent": consent,
    }


def load_contacts(actor):
    existing = set(session.scalars(
        select(Contact.source_reference).where(Contact.recorded_by_sub == actor.sub)
    ))
    rng = random.Random(2026)
    current = now()
    added = 0
    for index in range(1, DEMO_CONTACTS + 1):
        data = _demo_contact(index, rng, current)
        if data["source_reference"] in existing:
            continue
        with clock_at(recording_time(data["received_at"], current)):
            contact = record_contact(actor, data)
        advance_case(index, contact, current)
        added += 1
    return added


def load(reference_only=False):
    """Load everything missing, in one transaction. Returns what was added."""
    actor = system_actor("seed")
    counts = {"agencies": load_agencies(actor)}
    if not reference_only:
        counts["accounts"] = load_accounts(actor)
        counts["contacts"] = load_contacts(actor)
    session.commit()
    return counts
