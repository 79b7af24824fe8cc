"""The DfE Children in Need census return: the collection year asked for, and what the XML holds."""

from marshmallow import Schema, validate

from .common import Characters

CIN_CENSUS_DESCRIPTION = (
    "The DfE Children in Need census return of the collection year as one XML document "
    "(`application/xml`), streamed: every child with a referral (a contact whose current "
    "decision is `assessment` or `strategy_discussion`) dated on or before the reference date "
    "(31 March) and not closed before 1 April. Per child: `ChildIdentifiers` (LAchildID: the "
    "child's reference without its hyphens; no UPN, which this system does not hold: UPNunknown "
    "UN7 when every referral ended in no further action, UN1 when the child is not yet of "
    "school age), `ChildCharacteristics` (ethnicity, NOBT when not recorded; disabilities, NONE "
    "when recorded as none, nothing when not recorded), and a `CINdetails` per referral: "
    "referral date and source, primary need (N0 when not recorded), closure date and reason, "
    "ReferralNFA (true when the referral had no assessment and no section 47 enquiry and its "
    "latest strategy meeting decided no further action), its single assessments (start; "
    "authorisation and factors once authorised), its section 47 enquiries (start, ICPC target "
    "and date, ICPCnotRequired 1/0) and the child protection plans their conferences made "
    "(start, category of abuse, previous plans). Element names, order and formats are those "
    "the DfE's validation rules read: check a return with `make validate-cin` (README). The "
    "header names the council by LA_CODE (409 when it is not configured). Records restricted "
    "from the caller are left out, as in every export. The export is recorded in the access "
    "log. Auditors and managers only."
)


class CinCensusArgsSchema(Schema):
    year = Characters(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}$"), metadata={
        "description": "The collection year as YYYY-YY (e.g. 2026-27: 1 April 2026 to 31 March "
        "2027, the reference date).", "pattern": r"^\d{4}-\d{2}$"})
