"""API clients and users, as an admin sees them: never a secret, never case data."""

from marshmallow import Schema, fields, validate

from api.vocab import ACCOUNT_KINDS, ROLES, SERVICES

from .common import Characters, PageArgsSchema, Text, Timestamp


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
    issuer = fields.String(allow_none=True, metadata={
        "description": "For a subject of one of the council's identity providers: the issuer's "
        "URL (its tokens are checked against that issuer's keys); null for an account of this "
        "API, which signs in with POST /auth/token."})
    subject = fields.String(allow_none=True, metadata={
        "description": "The provider's subject (its `sub`, or Entra's `oid`, as configured); "
        "null for an account of this API."})
    previous_secret_valid_until = Timestamp(
        attribute="previous_secret_expires_at", allow_none=True, metadata={
            "description": "After a rotation of a client's secret: until when its previous "
            "secret is still accepted (null: only the current secret is)."})


class AccountListArgsSchema(PageArgsSchema):
    kind = fields.String(validate=validate.OneOf(ACCOUNT_KINDS))
    active = fields.Boolean(metadata={"description": "false: only disabled accounts."})


class AccountStatusChangeSchema(Schema):
    reason = Text(required=True, max_length=2_000, metadata={
        "description": "Why (kept in the audit trail: GET /audit/events?entity_type=account)."})


class SecretRotationSchema(Schema):
    reason = Text(required=True, max_length=2_000, metadata={
        "description": "Why (kept in the audit trail), e.g. 'annual rotation' or 'secret "
        "found in a support ticket'."})
    grace_minutes = fields.Integer(validate=validate.Range(min=0), metadata={
        "description": "How long the previous secret is still accepted, in minutes, so the "
        "partner can change its configuration without an outage. Default: the API's "
        "SECRET_GRACE_MINUTES (1440, a day); 0 refuses it at once (a leaked secret); at most "
        "SECRET_GRACE_MAX_MINUTES (10080, a week)."})


class RotatedSecretSchema(Schema):
    account = fields.Nested(AccountSchema)
    client_id = fields.String(metadata={"description": "The client's `client_id` (unchanged)."})
    client_secret = fields.String(metadata={
        "description": "The new secret. Shown this once: it is kept only as a salted hash. A "
        "replay of the request with its Idempotency-Key answers the same rotation with null "
        "here (the secret is never stored in clear): if the answer was lost, rotate again (the "
        "previous secret is still accepted for the grace)."})
    previous_secret_valid_until = Timestamp(allow_none=True, metadata={
        "description": "Until when the previous secret is still accepted; null: no longer."})


class ExternalAccountSchema(Schema):
    issuer = Characters(required=True, validate=validate.Length(max=32), metadata={
        "description": "The short name of a configured external issuer (`oidc` for the one "
        "OIDC_ISSUER names)."})
    subject = Text(required=True, max_length=64, metadata={
        "description": "The subject as that issuer names it (the configured subject claim: "
        "`sub`, or Entra's `oid`). The access log and audit trail name such a caller "
        "`{issuer}:{subject}`."})
    kind = fields.String(required=True, validate=validate.OneOf(ACCOUNT_KINDS))
    display_name = Text(required=True, max_length=200)
    role = fields.String(required=True, validate=validate.OneOf(
        [role for role in ROLES if role != "system"]), metadata={
        "description": "The role the provider gives it, for admins to read. Each request's "
        "role is the one its token maps to."})
    service = fields.String(validate=validate.OneOf(SERVICES))
    agency = Characters(validate=validate.Length(max=32), metadata={
        "description": "For the agency role: its agency code (GET /agencies)."})
    reason = Text(required=True, max_length=2_000, metadata={
        "description": "Why it is registered (kept in the audit trail)."})
