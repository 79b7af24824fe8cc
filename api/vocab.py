"""Every enumeration the product stores or accepts, the DfE CIN census codes and the NHS number
check digit: one place that models, schemas, seeds, the CLI and the tests import.

The database holds each stored column to its list too (CHECK constraints, api/models/checks.py):
a value added here needs a migration that widens the constraint, or the database refuses it.
"""

# Contacts (API.md): how one arrived, what it is about, consent as recorded, and where it stands.
CHANNELS = ("phone", "email", "secure_portal", "api", "letter", "in_person")
CONCERN_CATEGORIES = (
    "domestic_abuse",
    "neglect",
    "physical_abuse",
    "sexual_abuse",
    "emotional_abuse",
    "exploitation",
    "missing",
    "mental_health",
    "substance_misuse",
    "parenting_capacity",
    "homelessness",
    "other",
)
CONSENT_STATUSES = ("given", "refused", "not_sought", "overridden")
CONTACT_STATUSES = ("awaiting_decision", "decided")
# A contact's RAG rating: how fast it must be decided (red the fastest; api/timescales.py).
RAG_RATINGS = ("red", "amber", "green")
# An information request to a partner agency: open until the agency answers or staff withdraw it.
INFORMATION_REQUEST_STATUSES = ("open", "answered", "withdrawn")
# Partner notifications (api/webhooks.py): what a partner may subscribe to, and where a message is.
WEBHOOK_EVENTS = ("contact.decided", "contact.feedback_given", "information_request.created",
                  "information_request.withdrawn")
WEBHOOK_MESSAGE_STATUSES = ("pending", "delivered", "failed")
# Background jobs (api/jobs.py): what a job does, and where it is.
JOB_KINDS = ("audit.verify", "audit.state", "exports.decisions", "exports.annex_a")
JOB_STATUSES = ("queued", "running", "finished", "failed")

# A child's sex as the referrer gives it (Annex A's gender column is read from it).
SEXES = ("female", "male", "unknown")

# Threshold decisions (DOMAIN.md's vocabulary); a referral is a decision of assessment (s17) or
# strategy discussion (s47), as the DfE CIN census counts referrals.
OUTCOMES = (
    "nfa",
    "information_advice",
    "universal_services",
    "early_help",
    "existing_case",
    "assessment",
    "strategy_discussion",
)
REFERRAL_OUTCOMES = ("assessment", "strategy_discussion")
FEEDBACK_METHODS = ("phone", "email", "letter", "secure_portal", "in_person")

# Strategy meetings (Working Together): what the meeting decided, the medical examination, status.
MEETING_OUTCOMES = ("s47_enquiry", "assessment", "early_help", "no_further_action")
MEDICAL_DECISIONS = ("required", "not_required", "not_applicable")
MEETING_STATUSES = ("convened", "held")

# Transitions between early help and social care: each direction's (from, to) services.
DIRECTIONS = {"step_up": ("early_help", "social_care"), "step_down": ("social_care", "early_help")}
TRANSITION_STATUSES = ("requested", "accepted", "refused", "withdrawn")
TRANSITION_RESPONSES = ("accepted", "refused")

# A child's identity: what makes a council child record a possible match for a child as a
# contact gives them (a valid NHS number with the same date of birth links outright), and where
# a possible match stands (a practitioner confirms one, or rejects them).
MATCH_EVIDENCE = ("nhs_number", "local_child_id", "name_and_date_of_birth")
MATCH_STATUSES = ("open", "confirmed", "rejected")

# Who may hold a token (API.md's roles), the services staff belong to, and the accounts behind
# tokens. The system role is the CLI's and the seeds' actor (api/auth.py system_actor), never a
# token's; records written by either name the actor's role.
ROLES = ("agency", "practitioner", "manager", "auditor", "admin")
# The roles of the council's staff who work on cases (practitioners and managers of a service).
STAFF_ROLES = ("practitioner", "manager")
SYSTEM_ROLE = "system"
ACTOR_ROLES = (*ROLES, SYSTEM_ROLE)
SERVICES = ("mash", "early_help", "social_care")
ACCOUNT_KINDS = ("client", "person")
# How far the caller's token could be trusted (the access log): only `valid` claims are proven.
TOKEN_STATES = ("valid", "expired", "revoked", "invalid", "missing")

# Partner agencies by kind (a strategy meeting's required invitees may be named by kind).
AGENCY_KINDS = (
    "police",
    "health",
    "education",
    "early_help",
    "social_care",
    "housing",
    "probation",
    "youth_justice",
    "voluntary",
    "individual",
    "anonymous",
    "other",
)

# The records a manager can restrict to named staff (api/domain/restrictions.py).
RESTRICTED_RECORDS = ("child", "contact")

# The events of a chronology, in the order things happen in a case at the same instant.
CHRONOLOGY_KINDS = (
    "contact_received", "consent_recorded", "rag_rated", "decision_recorded", "decision_approved",
    "feedback_given", "strategy_meeting_convened", "strategy_meeting_held",
    "strategy_meeting_minutes_recorded", "icpc_recorded", "transition_requested",
    "transition_accepted", "transition_refused", "transition_withdrawn", "child_linked",
    "possible_matches_rejected", "child_merged", "child_unmerged", "information_requested",
    "information_answered", "information_request_withdrawn",
)

# DfE Children in Need census codes with their labels: Ofsted's Annex A lists are filled in with
# them, so a column reads the same as the council's CIN census return.
# Ethnicity (the DfE's 20 codes). Not recorded is exported as NOBT.
ETHNICITIES = {
    "WBRI": "White British",
    "WIRI": "White Irish",
    "WIRT": "Traveller of Irish heritage",
    "WOTH": "Any other White background",
    "WROM": "Gypsy/Roma",
    "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African",
    "MWAS": "White and Asian",
    "MOTH": "Any other mixed background",
    "AIND": "Indian",
    "APKN": "Pakistani",
    "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background",
    "BCRB": "Black Caribbean",
    "BAFR": "Black African",
    "BOTH": "Any other Black background",
    "CHNE": "Chinese",
    "OOTH": "Any other ethnic group",
    "REFU": "Refused",
    "NOBT": "Information not yet obtained",
}
NOT_YET_OBTAINED = "NOBT"
# Referral source: what each agency's referral_source holds.
REFERRAL_SOURCES = {
    "1A": "Individual: family member, relative or carer",
    "1B": "Individual: acquaintance (including neighbours and child minders)",
    "1C": "Individual: self",
    "1D": "Individual: other",
    "2A": "Schools",
    "2B": "Education services",
    "3A": "Health services: GP",
    "3B": "Health services: health visitor",
    "3C": "Health services: school nurse",
    "3D": "Health services: other primary health services",
    "3E": "Health services: A&E",
    "3F": "Health services: other",
    "4": "Housing",
    "5A": "LA services: social care",
    "5B": "LA services: other internal",
    "5C": "LA services: external",
    "5D": "LA services: early help",
    "6": "Police",
    "7": "Other legal agency",
    "8": "Other",
    "9": "Anonymous",
    "10": "Unknown",
}
UNKNOWN_SOURCE = "10"


# After the front door (DOMAIN.md): a referral's s17 single assessment, its outcome, and the
# closure of the referral, in the DfE CIN census's codes where the census has them.
ASSESSMENT_STATUSES = ("open", "completed")
ASSESSMENT_OUTCOMES = (
    "no_further_action", "early_help", "child_in_need_plan", "strategy_discussion",
    "looked_after", "other_service",
)
# The referral's primary need (the census's PrimaryNeedCode).
PRIMARY_NEEDS = {
    "N0": "Not stated",
    "N1": "Abuse or neglect",
    "N2": "Child's disability or illness",
    "N3": "Parental disability or illness",
    "N4": "Family in acute stress",
    "N5": "Family dysfunction",
    "N6": "Socially unacceptable behaviour",
    "N7": "Low income",
    "N8": "Absent parenting",
    "N9": "Cases other than children in need",
}
# Why a referral was closed (the census's ReasonForClosure; its validation accepts RC1-RC9).
CLOSURE_REASONS = {
    "RC1": "Adopted",
    "RC2": "Died",
    "RC3": "Child arrangements order",
    "RC4": "Special guardianship order",
    "RC5": "Transferred to services of another local authority",
    "RC6": "Transferred to adult social care services",
    "RC7": "Services ceased for any other reason, including child no longer in need",
    "RC8": "Case closed after assessment, no further action",
    "RC9": "Case closed after assessment, referred to early help",
}
# RC8 and RC9 close a referral "after assessment": one of its assessments must be completed.
AFTER_ASSESSMENT = ("RC8", "RC9")
# A child's disabilities (the census's Disability codes); NONE is exported for a child recorded
# as having no disability, and is not itself a code a child is given here.
DISABILITIES = {
    "MOB": "Mobility",
    "HAND": "Hand function",
    "PC": "Personal care",
    "INC": "Incontinence",
    "COMM": "Communication",
    "LD": "Learning",
    "HEAR": "Hearing",
    "VIS": "Vision",
    "BEH": "Behaviour",
    "CON": "Consciousness",
    "AUT": "Diagnosed with autism or Asperger syndrome",
    "DDA": "Other disability (Equality Act 2010)",
}
# The factors an assessment identified (the census's AssessmentFactors, as its validation lists
# them: 18A and 19A are retired for 18B/18C and 19B/19C). "21" (no factors identified) stands
# alone.
ASSESSMENT_FACTORS = {
    "1A": "Alcohol misuse: concerns about the child",
    "1B": "Alcohol misuse: concerns about the parent/carer",
    "1C": "Alcohol misuse: concerns about another person living in the household",
    "2A": "Drug misuse: concerns about the child",
    "2B": "Drug misuse: concerns about the parent/carer",
    "2C": "Drug misuse: concerns about another person living in the household",
    "3A": "Domestic abuse: concerns about the child being the subject",
    "3B": "Domestic abuse: concerns about the parent/carer being the subject",
    "3C": "Domestic abuse: concerns about another person living in the household",
    "4A": "Mental health: concerns about the child",
    "4B": "Mental health: concerns about the parent/carer",
    "4C": "Mental health: concerns about another person living in the household",
    "5A": "Learning disability: concerns about the child",
    "5B": "Learning disability: concerns about the parent/carer",
    "5C": "Learning disability: concerns about another person living in the household",
    "6A": "Physical disability or illness: concerns about the child",
    "6B": "Physical disability or illness: concerns about the parent/carer",
    "6C": "Physical disability or illness: concerns about another person in the household",
    "7A": "Young carer",
    "8B": "Privately fostered: overseas children who intend to return",
    "8C": "Privately fostered: overseas children who intend to stay",
    "8D": "Privately fostered: UK children in educational placements",
    "8E": "Privately fostered: UK children making alternative plans",
    "8F": "Privately fostered: UK children other",
    "9A": "Unaccompanied asylum-seeking child",
    "10A": "Going or being missing",
    "11A": "Child sexual exploitation",
    "12A": "Trafficking",
    "13A": "Gangs",
    "14A": "Socially unacceptable behaviour",
    "15A": "Self-harm",
    "16A": "Abuse or neglect: neglect",
    "17A": "Abuse or neglect: emotional abuse",
    "18B": "Abuse or neglect: physical abuse, adult on child",
    "18C": "Abuse or neglect: physical abuse, child on child",
    "19B": "Abuse or neglect: sexual abuse, adult on child",
    "19C": "Abuse or neglect: sexual abuse, child on child",
    "20": "Female genital mutilation",
    "21": "No factors identified",
    "22A": "Abuse linked to faith or belief",
    "23A": "Child criminal exploitation",
    "24A": "Other",
}
NO_FACTORS = "21"
# A child protection plan's category of abuse (the census's InitialCategoryOfAbuse), given by
# the initial child protection conference that made the plan.
ABUSE_CATEGORIES = {
    "NEG": "Neglect",
    "PHY": "Physical abuse",
    "SAB": "Sexual abuse",
    "EMO": "Emotional abuse",
    "MUL": "Multiple (not recommended)",
}


# The NHS number (NHS Digital's data dictionary): nine digits and a modulus 11 check digit.
def nhs_check_digit(nine_digits):
    """The check digit for nine digits, or None when there is none (the sum gives 10: no NHS
    number starts with those nine digits)."""
    total = sum(int(d) * w for d, w in zip(nine_digits, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return None if check == 10 else check


def nhs_number_is_valid(digits):
    """Ten digits (0 to 9: str.isdigit() also passes "²" and "٩") whose last is the check digit
    of the nine before it."""
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


def nhs_number_with_check_digit(nine_digits):
    """A valid NHS number from nine digits (moving to the next nine when they have no check
    digit)."""
    base = int(nine_digits)
    while True:
        digits = f"{base:09d}"
        check = nhs_check_digit(digits)
        if check is not None:
            return digits + str(check)
        base += 1
