from marshmallow import Schema, fields

from api.vocab import AGENCY_KINDS


class AgencySchema(Schema):
    code = fields.String(metadata={"description": "The code used as `source_agency`."})
    name = fields.String()
    kind = fields.String(metadata={"description": ", ".join(AGENCY_KINDS)})
    referral_source = fields.String(
        metadata={"description": "DfE Children in Need census referral source code (e.g. 6 police, 2A schools; labels in the Annex A export)."}
    )
