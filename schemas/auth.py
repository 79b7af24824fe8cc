from marshmallow import Schema, ValidationError, fields, validate, validates_schema


class TokenRequestSchema(Schema):
    client_id = fields.String(validate=validate.Length(min=1, max=100),
                              metadata={"description": "Partner systems: with client_secret."})
    client_secret = fields.String(validate=validate.Length(min=1, max=500), load_only=True)
    username = fields.String(validate=validate.Length(min=1, max=100),
                             metadata={"description": "People: with password."})
    password = fields.String(validate=validate.Length(min=1, max=500), load_only=True)

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
