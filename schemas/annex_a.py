"""Ofsted's Annex A lists: the period asked for, and each list's columns (Ofsted's headings, in
Ofsted's order) with what each means in this system. The descriptions show in openapi.yaml."""

from .common import PeriodArgsSchema

COMMON = (
    ("Child Unique ID", "The child's reference in this system (e.g. CH-2026-000001), the same "
     "in every list and every row about the child."),
    ("Gender", "From the child's recorded sex: Male, Female, or Not stated/recorded (sex unknown)."),
    ("Ethnicity", "The child's DfE CIN census ethnicity code with its label (e.g. `WBRI: White "
     "British`); `NOBT: Information not yet obtained` when none is recorded."),
    ("Date of Birth", "dd/mm/yyyy; blank for an unborn child (only an expected date is held)."),
    ("Age of Child (Years)", "Whole years on the date of the row's event (the contact, referral "
     "or strategy discussion); blank for an unborn child."),
)
ALLOCATED = (
    ("Allocated Team", "The team the referral is allocated to now (POST /contacts/{id}/allocation); "
     "blank while it is unallocated."),
    ("Allocated Worker", "The worker the referral is allocated to now; blank while it is "
     "unallocated."),
)
DISABILITY = (
    ("Does the Child have a Disability", "Yes or No as the child's record holds it (POST "
     "/children/{id}/disability); Unknown when it is not recorded."),
)

LIST_COLUMNS = {
    "contacts": COMMON + (
        ("Date of Contact", "The London date the contact was received (received_at), dd/mm/yyyy."),
        ("Contact Source", "The source agency's DfE CIN referral source code with its label "
         "(e.g. `6: Police`)."),
    ),
    "early-help": COMMON + (
        ("Assessment start date", "The London date the child went to early help: the contact's "
         "current decision `early_help`, or a step down to early help accepted "
         "(its response_at), dd/mm/yyyy."),
        ("Assessment completion date", "Always blank: the early help assessment is the early "
         "help service's record, not this system's."),
        ("Organisation completing assessment", "The council's early help service."),
    ),
    "referrals": COMMON + (
        ("Date of Referral", "The London date of the decision that made the contact a referral: "
         "its current (not superseded) threshold decision, `assessment` or "
         "`strategy_discussion`, dd/mm/yyyy."),
        ("Referral Source", "The contact's source agency's DfE CIN referral source code with its "
         "label."),
        ("Referral NFA?", "Yes when the referral ended in no further action: the child's latest "
         "strategy meeting held on the contact decided `no_further_action`. Otherwise No "
         "(assessments, s47 enquiries, early help, and meetings not yet held)."),
        ("Number of Referrals in Last 12 Months", "The child's other referrals (counted as this "
         "list counts them: current decisions only) decided before this one and on or after the "
         "same London date a year earlier. This referral itself is not counted."),
    ) + ALLOCATED,
    "assessments": COMMON + DISABILITY + (
        ("Continuous Assessment Start Date", "The London date the single assessment (s17) "
         "started (started_at), dd/mm/yyyy."),
        ("Child Seen During Continuous Assessment", "Yes once the assessment records when the "
         "child was seen (at its completion); Unknown while it is open."),
        ("Continuous Assessment Date of Authorisation", "The London date a manager authorised "
         "it, dd/mm/yyyy; blank while it is open."),
        ("Was the child assessed as requiring LA children's social care support?", "Yes when "
         "the completed assessment's outcome is child_in_need_plan, strategy_discussion or "
         "looked_after; No for no_further_action, early_help or other_service; blank while it "
         "is open."),
        ("Allocated Team", "The team the assessment is allocated to (POST "
         "/assessments/{id}/allocation), else its referral's; blank when neither is allocated."),
        ("Allocated Worker", "The worker the assessment is allocated to, else its referral's; "
         "blank when neither is allocated."),
    ),
    "section-47": COMMON + DISABILITY + (
        ("Strategy discussion initiating Section 47 Enquiry Start Date", "The London date the "
         "strategy meeting whose outcome was `s47_enquiry` was held, dd/mm/yyyy."),
        ("Was an Initial Child Protection Conference deemed unnecessary?", "Yes when the ICPC "
         "was recorded as not required, No when one was held, blank while neither is recorded."),
        ("Date of Initial Child Protection Conference", "The ICPC's held_on date, dd/mm/yyyy; "
         "blank when none was held."),
        ("Did the Initial Child Protection Conference Result in a Child Protection Plan", "Yes "
         "or No for this child as the ICPC recorded it; blank when no ICPC was held."),
        ("Number of Section 47 Enquiries in the last 12 months", "The child's other s47 "
         "enquiries (strategy meetings held with outcome `s47_enquiry`) started before this one "
         "and on or after the same London date a year earlier. This enquiry is not counted."),
        ("Number of ICPCs in the last 12 months", "ICPCs held about the child on a date from "
         "the same London date a year before this enquiry's start up to the day before it (so "
         "this enquiry's own ICPC is not counted)."),
    ) + ALLOCATED,
}

LIST_TITLES = {
    "contacts": ("List 1", "every contact received in the period, a row per child the contact "
                 "is about (a contact about two children is two rows)"),
    "early-help": ("List 2", "every child who went to early help in the period (decided early "
                   "help at the front door, a row per child of the contact, or stepped down from "
                   "social care)"),
    "referrals": ("List 3", "every referral made in the period, a row per child; a child "
                  "appears once for each referral"),
    "assessments": ("List 4", "every single assessment (s17) started in the period, a row "
                    "each (an assessment is of one child)"),
    "section-47": ("List 5", "every section 47 enquiry started in the period, a row per child "
                   "of the strategy meeting; a child appears once for each enquiry"),
}


def headings(list_name):
    return [heading for heading, _meaning in LIST_COLUMNS[list_name]]


class AnnexAArgsSchema(PeriodArgsSchema):
    """The period of the list (London dates, from inclusive, to exclusive)."""


def _describe():
    parts = [
        "Ofsted's Annex A list for inspection as CSV (`text/csv`), streamed, with Ofsted's column "
        "headings in Ofsted's order. The period is London dates, from inclusive, to exclusive; "
        "each list picks its rows by the date of its event. Dates are dd/mm/yyyy; a blank cell "
        "is a value not held. Text that a spreadsheet would run as a formula is written with a "
        "leading apostrophe. The export is recorded in the access log (entity_type `export`, "
        "entity_id the list's name). Auditors and managers only.",
    ]
    for name, columns in LIST_COLUMNS.items():
        number, what = LIST_TITLES[name]
        parts.append(f"**`{name}`** (Annex A {number}): {what}.\n\n"
                     + "\n".join(f"- `{heading}`: {meaning}" for heading, meaning in columns))
    return "\n\n".join(parts)


ANNEX_A_DESCRIPTION = _describe()
