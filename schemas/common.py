"""Fields and schemas shared by every resource."""

import json
from datetime import UTC, date, datetime

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.errors import PROBLEM_TYPE_BASE

# What the OpenAPI document says of a string, so that a partner's generated client (and a fuzzer)
# knows what is refused before sending it. Patterns are ECMA-262 as JSON Schema has them; each is
# also a Python regular expression meaning the same (tests/contract/test_schema_says_what_is_
# refused.py holds them to the server's own checks).
# No database stores U+0000 (api/overrides.py refuses it in every string, key and query value).
NO_NUL = r"^[^\x00]*$"
# White space as Python's str.strip() removes it (str.isspace), the non-breaking space among it.
WHITE_SPACE = (r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f"
               r"\u3000")
# Text: something other than white space (blank counts as missing), and no NUL.
NOT_BLANK = r"^[^\x00]*[^\x00" + WHITE_SPACE + r"][^\x00]*$"
# A date or timestamp in the years the API calculates with (1900 to 2999).
IN_OUR_YEARS = r"^(19[0-9]{2}|2[0-9]{3})-"

TIMESTAMP_HELP = (
    "RFC 3339 timestamp with an offset (e.g. 2026-03-02T09:15:00Z or 2026-03-02T10:15:00+01:00); "
    "a timestamp without an offset is rejected. Between 1900-01-01T00:00:00Z and "
    "2999-12-31T23:59:59Z. Returned in UTC."
)
# Wide enough for any real record, narrow enough that every calculation made from a time (UTC,
# Europe/London, working-day deadlines, month buckets) stays within what a date can hold.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


class Timestamp(fields.AwareDateTime):
    """An instant with an explicit offset; returned in UTC with a Z."""

    default_error_messages = {
        "invalid_awareness": "Must include a UTC offset, e.g. 2026-03-02T09:15:00Z.",
        "out_of_range": "Must be between 1900-01-01T00:00:00Z and 2999-12-31T23:59:59Z.",
    }

    def __init__(self, *, microseconds=False, **kwargs):
        metadata = dict(kwargs.pop("metadata", {}))
        metadata.setdefault("description", TIMESTAMP_HELP)
        metadata.setdefault("pattern", IN_OUR_YEARS)
        self.timespec = "microseconds" if microseconds else "auto"
        super().__init__(format="iso", default_timezone=None, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        instant = super()._deserialize(value, attr, data, **kwargs)
        try:
            instant = instant.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00:00+01:00 has no UTC time a datetime can hold
            raise self.make_error("out_of_range") from None
        if not EARLIEST <= instant <= LATEST:
            raise self.make_error("out_of_range")
        return instant

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(UTC).isoformat(timespec=self.timespec).replace("+00:00", "Z")


class Day(fields.Date):
    """A calendar date (YYYY-MM-DD) within the years the API can calculate with."""

    default_error_messages = {"out_of_range": "Must be between 1900-01-01 and 2999-12-31."}

    def __init__(self, **kwargs):
        metadata = dict(kwargs.pop("metadata", {}))
        metadata.setdefault("pattern", IN_OUR_YEARS)
        description = metadata.get("description", "")
        metadata["description"] = f"{description} Between 1900-01-01 and 2999-12-31.".strip()
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise self.make_error("out_of_range")
        return day


class PeriodArgsSchema(Schema):
    """A period of London dates: `from` inclusive, `to` exclusive."""

    from_ = Day(required=True, data_key="from", metadata={
        "description": "First London date of the period (inclusive)."})
    to = Day(required=True, metadata={"description": "London date after the period "
                                      "(exclusive): must be after `from`."})

    @validates_schema
    def _to_after_from(self, data, **_kwargs):
        if "from_" in data and "to" in data and data["to"] <= data["from_"]:
            raise ValidationError("Must be after from (the period is from inclusive, to exclusive).",
                                  "to")


class Characters(fields.String):
    """A string of any characters but U+0000 (refused in every string: api/overrides.py), as its
    pattern says."""

    def __init__(self, **kwargs):
        metadata = dict(kwargs.pop("metadata", {}))
        metadata.setdefault("pattern", NO_NUL)
        super().__init__(metadata=metadata, **kwargs)


class Text(fields.String):
    """A string with surrounding white space removed; blank counts as missing. Its pattern says
    both: something other than white space (a non-breaking space is white space), and no NUL."""

    def __init__(self, *, max_length=None, **kwargs):
        metadata = dict(kwargs.pop("metadata", {}))
        metadata.setdefault("pattern", NOT_BLANK)
        kwargs["metadata"] = metadata
        validators = list(kwargs.pop("validate", None) or [])
        validators.insert(0, validate.Length(min=1, error="Must not be blank."))
        if max_length:
            validators.insert(1, validate.Length(max=max_length))
        super().__init__(validate=validators, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class UniqueList(fields.List):
    """A list in a request body: bounded, and no item twice.

    `max_items` is a bound no council meets but that stops a body of 20,000 copies of one value;
    `unique_by` names the item's field that makes two items the same (one agency invited twice
    at different times is still invited twice); without it, equal items are. The OpenAPI
    document says both (maxItems, uniqueItems, and the description). Dumped, a list stored
    before this rule keeps the first of each item, as the rule would have.
    """

    def __init__(self, cls_or_instance, *, max_items, min_items=None, unique_by=None, **kwargs):
        self.length = validate.Length(min=min_items, max=max_items)
        self.unique_by = unique_by
        metadata = dict(kwargs.pop("metadata", None) or {})
        each = f"each {unique_by} once" if unique_by else "no item twice"
        rule = (f"{min_items} to {max_items} items" if min_items else f"At most {max_items} items")
        said = metadata.get("description", "")
        metadata["description"] = f"{said} {rule}, {each}.".strip()
        metadata["uniqueItems"] = True
        validators = [self.length, *list(kwargs.pop("validate", None) or [])]
        super().__init__(cls_or_instance, validate=validators, metadata=metadata, **kwargs)

    def _key(self, item):
        if self.unique_by is not None and isinstance(item, dict):
            item = item.get(self.unique_by)
        return json.dumps(item, sort_keys=True, default=str)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (list, tuple)):
            self.length(value)  # before reading 20,000 items, not after
        items = super()._deserialize(value, attr, data, **kwargs)
        first, errors = {}, {}
        for index, item in enumerate(items):
            at = first.setdefault(self._key(item), index)
            if at != index:
                message = [f"Listed twice (first as item {at})."]
                errors[index] = {self.unique_by: message} if self.unique_by else message
        if errors:
            raise ValidationError(errors)
        return items

    def _serialize(self, value, attr, obj, **kwargs):
        dumped = super()._serialize(value, attr, obj, **kwargs)
        if dumped is None:
            return None
        kept = {}
        for item in dumped:
            kept.setdefault(self._key(item), item)
        return list(kept.values())


def at_most_entries(limit):
    """A Dict field's bound on its entries (say `maxProperties` in its metadata too: apispec would
    render a Length validator on a Dict as maxLength)."""

    def check(value):
        if len(value) > limit:
            raise ValidationError(f"At most {limit} entries.")

    return check


class ProblemSchema(Schema):
    """RFC 9457 problem details: the shape of every error."""

    type = fields.String(
        metadata={
            "description": "Problem type: `about:blank` for plain HTTP errors, otherwise a tag URI "
            f"beginning `{PROBLEM_TYPE_BASE}` (validation, rule-violation, conflict, not-found, "
            "forbidden, unauthorized, precondition-failed, malformed-json, idempotency-key-reused, "
            "idempotency-key-in-use, concurrent-change, rate-limited, statement-timeout, use-a-job, "
            "issuer-unavailable, not-ready, not-configured)."
        }
    )
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={
            "description": "For 422 and field-level 403/409: each offending field (dotted path, "
            "list items as `children[0].nhs_number`) with its messages."
        },
    )
    merged_into = fields.String(
        metadata={
            "description": "Only on the 404 for a child record merged into another: the id of "
            "the record it now is (also in the `Location` header)."
        }
    )
    request_id = fields.String(
        metadata={
            "description": "The request's id, as in the `X-Request-ID` response header (yours, "
            "when you sent a valid one: 1 to 128 letters, digits and `.` `_` `:` `-`). Quote it "
            "to the operators: their logs carry it on every line about the request."
        }
    )


class PageArgsSchema(Schema):
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=500),
        metadata={"description": "Items per page: default 50, at most 500."},
    )
    cursor = Characters(
        metadata={"description": "Opaque: the `next_cursor` of the previous page."}
    )


_page_schemas = {}


def page_of(item_schema):
    """`{"items": [...], "next_cursor": "..." | null}` around an item schema."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _page_schemas:
        _page_schemas[name] = type(
            name,
            (Schema,),
            {
                "items": fields.List(fields.Nested(item_schema), required=True),
                "next_cursor": fields.String(
                    allow_none=True,
                    required=True,
                    metadata={"description": "Pass as `cursor` for the next page; null on the last."},
                ),
            },
        )
    return _page_schemas[name]
