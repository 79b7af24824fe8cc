"""marshmallow schemas per resource, plus the common ones. No database, no request."""
