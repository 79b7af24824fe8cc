"""The demo data itself."""

# code, name, kind, DfE CIN referral source code (labels in api/vocab.py: 6 police, 5A LA social
# care, 5B LA other internal, 5D early help, 3E A&E, 7 other legal agency, ...)
AGENCIES = [
    ("wmp", "West Midlands Police", "police", "6"),
    ("btp", "British Transport Police", "police", "6"),
    ("oakfield-primary", "Oakfield Primary School", "education", "2A"),
    ("sandwell-academy", "Sandwell Academy", "education", "2A"),
    ("education-services", "Education Welfare Service", "education", "2B"),
    ("hilltop-gp", "Hill Top Medical Practice", "health", "3A"),
    ("health-visiting", "Health Visiting Service", "health", "3B"),
    ("city-hospital-ed", "City Hospital Emergency Department", "health", "3E"),
    ("maternity", "Midland Metropolitan Maternity Unit", "health", "3D"),
    ("camhs", "Child and Adolescent Mental Health Services", "health", "3F"),
    ("housing", "Council Housing Service", "housing", "4"),
    ("early-help", "Early Help Service", "early_help", "5D"),
    ("childrens-social-care", "Children's Social Care", "social_care", "5A"),
    ("adult-social-care", "Adult Social Care", "social_care", "5A"),
    ("youth-justice", "Youth Justice Service", "youth_justice", "5B"),
    ("probation", "Probation Service", "probation", "7"),
    ("nspcc", "NSPCC Helpline", "voluntary", "8"),
    ("family-member", "Member of the public: family member, relative or carer", "individual", "1A"),
    ("acquaintance", "Member of the public: acquaintance or neighbour", "individual", "1B"),
    ("self", "The child or young person", "individual", "1C"),
    ("individual-other", "Member of the public: other", "individual", "1D"),
    ("anonymous", "Anonymous", "anonymous", "9"),
    ("other", "Other", "other", "8"),
]

# The referral source codes earlier versions of these seeds gave (from a mapping that did not
# follow the DfE CIN census): the loader corrects exactly these, never a council's own choice.
EARLIER_REFERRAL_SOURCES = {
    "wmp": "5A", "btp": "5A", "city-hospital-ed": "3C", "camhs": "3D", "early-help": "5B",
    "childrens-social-care": "5C", "adult-social-care": "5D", "probation": "8",
}

_PEOPLE_SECRET = "demo-password"
_CLIENT_SECRET = "demo-client-secret"

DEMO_ACCOUNTS = [
    {"name": "wmp-client", "kind": "client", "secret": _CLIENT_SECRET, "role": "agency",
     "agency": "wmp", "display_name": "West Midlands Police case system"},
    {"name": "oakfield-client", "kind": "client", "secret": _CLIENT_SECRET, "role": "agency",
     "agency": "oakfield-primary", "display_name": "Oakfield Primary safeguarding system"},
    {"name": "priya.mash", "kind": "person", "secret": _PEOPLE_SECRET, "role": "practitioner",
     "service": "mash", "display_name": "Priya Shah (MASH social worker)"},
    {"name": "mark.mash", "kind": "person", "secret": _PEOPLE_SECRET, "role": "manager",
     "service": "mash", "display_name": "Mark Evans (MASH team manager)"},
    {"name": "erin.earlyhelp", "kind": "person", "secret": _PEOPLE_SECRET, "role": "practitioner",
     "service": "early_help", "display_name": "Erin Doyle (early help worker)"},
    {"name": "emma.earlyhelp", "kind": "person", "secret": _PEOPLE_SECRET, "role": "manager",
     "service": "early_help", "display_name": "Emma Clarke (early help manager)"},
    {"name": "sam.socialcare", "kind": "person", "secret": _PEOPLE_SECRET, "role": "practitioner",
     "service": "social_care", "display_name": "Sam Okafor (social worker)"},
    {"name": "sara.socialcare", "kind": "person", "secret": _PEOPLE_SECRET, "role": "manager",
     "service": "social_care", "display_name": "Sara Malik (social care team manager)"},
    {"name": "alex.auditor", "kind": "person", "secret": _PEOPLE_SECRET, "role": "auditor",
     "display_name": "Alex Reid (quality assurance)"},
    {"name": "ada.admin", "kind": "person", "secret": _PEOPLE_SECRET, "role": "admin",
     "display_name": "Ada Lovell (system administrator)"},
]

DEMO_NAMES = [
    ("Amelia", "Hughes"), ("Jayden", "Khan"), ("Lily", "Walsh"), ("Noah", "Begum"),
    ("Ava", "Morris"), ("Leo", "Patel"), ("Isla", "Wright"), ("Oscar", "Ahmed"),
    ("Maya", "Turner"), ("Theo", "Kaur"), ("Grace", "Lewis"), ("Zain", "Hussain"),
    ("Ruby", "Jackson"), ("Harry", "Mensah"), ("Evie", "Clarke"), ("Musa", "Ali"),
]

# CIN census ethnicity codes for the demo children (cycled by child); None: not yet recorded.
DEMO_ETHNICITIES = ["WBRI", "APKN", "WIRI", "BAFR", None, "AIND", "MWBC", "WBRI", "ABAN", None,
                    "WROM", "BCRB", "CHNE", "MOTH", "WBRI", "OOTH"]

DEMO_CONCERNS = [
    (["domestic_abuse"], "Police attended a domestic incident at the home overnight; the child "
     "was present and witnessed a verbal and physical altercation between the adults."),
    (["neglect"], "School reports the child regularly arrives hungry, in unwashed uniform, and "
     "has missed 14 sessions this half term without explanation."),
    (["physical_abuse"], "Bruising to the child's upper arm noticed in PE; the child said an "
     "adult at home grabbed them. Parent not yet spoken to."),
    (["emotional_abuse", "mental_health"], "The young person disclosed to the school nurse that "
     "they feel unsafe at home and have been self-harming."),
    (["substance_misuse", "parenting_capacity"], "Health visitor concerned about mother's "
     "alcohol use and the impact on care of a 9-month-old baby."),
    (["exploitation", "missing"], "Young person reported missing three times in a month; found "
     "with older males in another town, unexplained new phone and cash."),
    (["homelessness"], "Family of four evicted and sofa-surfing; children out of school for two "
     "weeks while the family looks for accommodation."),
    (["sexual_abuse"], "Child made a disclosure to a teaching assistant about an adult family "
     "friend; disclosure recorded verbatim and sent the same day."),
]
