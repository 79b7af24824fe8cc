"""What the readiness check answers."""

from marshmallow import Schema, fields


class ReadinessSchema(Schema):
    status = fields.String(metadata={"description": "`ready`."})
    database = fields.String(metadata={"description": "`ok`: it answers."})
    migration = fields.String(metadata={
        "description": "The database's migration revision: the migrations' head."})
    rate_limit_storage = fields.String(metadata={
        "description": "`ok`: the storage of the rate-limit counts answers (Redis when "
        "RATELIMIT_STORAGE_URI names it; memory always answers)."})
