from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .common import Characters


class TokenRequestSchema(Schema):
    client_id = Characters(validate=validate.Length(min=1, max=100), metadata={
        "description": "Partner systems: with client_secret (and neither username nor password)."})
    client_secret = Characters(validate=validate.Length(min=1, max=500), load_only=True,
                               metadata={"description": "With client_id."})
    username = Characters(validate=validate.Length(min=1, max=100), metadata={
        "description": "People: with password (and neither client_id nor client_secret)."})
    password = Characters(validate=validate.Length(min=1, max=500), load_only=True,
                          metadata={"description": "With username."})

    @validates_schema
    def one_pair(self, data, **kwargs):
        client = "client_id" in data or "client_secret" in data
        person = "username" in data or "password" in data
        if client == person:
            raise ValidationError(
                "Give client_id and client_secret (a partner system) or username and password "
                "(a person).",
                "body",
            )
        for first, second in (("client_id", "client_secret"), ("username", "password")):
            if (first in data) != (second in data):
                missing = second if first in data else first
                raise ValidationError(f"Required with {first if first in data else second}.", missing)


class TokenSchema(Schema):
    access_token = fields.String(metadata={"description": "A signed JWT (ES256 by default)."})
    token_type = fields.String(metadata={"description": "Always `Bearer`."})
    expires_in = fields.Integer(metadata={"description": "Seconds until the token expires."})


class CallerSchema(Schema):
    sub = fields.String(metadata={
        "description": "The subject: an account's name, or `{issuer}:{subject}` for a subject of "
        "the council's identity provider."})
    role = fields.String()
    service = fields.String(allow_none=True, metadata={"description": "Staff: their service."})
    agency = fields.String(allow_none=True, metadata={"description": "A partner system's agency."})
    issuer = fields.String(metadata={
        "description": "`local` for a token of this API (POST /auth/token), else the URL of the "
        "identity provider that issued it."})
