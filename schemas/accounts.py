"""API clients and users, as an admin sees them: never a secret, never case data."""

from marshmallow import Schema, fields, validate

from api.vocab import ACCOUNT_KINDS, ROLES

from .common import PageArgsSchema, Text, Timestamp


class AccountSchema(Schema):
    id = fields.UUID()
    name = fields.String(metadata={"description": "The `client_id` or `username`; the token's `sub`."})
    kind = fields.String(metadata={"description": "client (a partner system) or person."})
    display_name = fields.String()
    role = fields.String(metadata={"description": ", ".join(ROLES)})
    service = fields.String(allow_none=True)
    agency = fields.String(attribute="agency_code", allow_none=True)
    active = fields.Boolean(metadata={
        "description": "false: disabled. A disabled account is issued no token, and every token "
        "it already holds is refused (401) from the moment it is disabled, and stays refused "
        "when the account is enabled again (only tokens issued after that work)."})
    created_at = Timestamp()


class AccountListArgsSchema(PageArgsSchema):
    kind = fields.String(validate=validate.OneOf(ACCOUNT_KINDS))
    active = fields.Boolean(metadata={"description": "false: only disabled accounts."})


class AccountStatusChangeSchema(Schema):
    reason = Text(required=True, max_length=2_000, metadata={
        "description": "Why (kept in the audit trail: GET /audit/events?entity_type=account)."})
