"""Where this API reaches past a library's public interface, each in one place.

Each override here relies on something a library does not promise (a private method, a name
its own code mangles); tests/infra/test_overrides.py checks each one against the installed
library, so an upgrade that moves it fails there, by name, rather than somewhere downstream:

- StrictParser (webargs): reads a JSON body itself, refusing numbers Python cannot read (an
  integer of more than 4,300 digits, a float beyond its range) and the NaN and Infinity that are
  not JSON, and JSON nested too deeply for Python's parser (each a 400); then refuses text no
  database can store, before any schema runs (`_load_location_data`, `_raw_load_json`).
- smorest_etag (flask-smorest): the ETag its `@blp.etag` gives a representation, so an If-Match
  on a write is compared with what GET returned (`_generate_etag`).
- SweptMemoryStorage (limits): the in-memory rate-limit counts without a timer thread per
  request (`MemoryStorage.__schedule_expiry`, `__expire_events`, `timer`).
- The OpenAPI document's error responses as problem+json, and no page-number pagination header
  (flask-smorest's `Api._register_responses`, `_register_pagination_header`): these two are
  FrontDoorApi's, in api/openapi.py, the document's own module; they are checked here too.
"""

import json
import math
import time

import flask_smorest
from limits.storage import MemoryStorage
from marshmallow import ValidationError
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request


# ---- webargs ----------------------------------------------------------------------------------

NUL_MESSAGE = "Must not contain the NUL character (U+0000)."
SURROGATE_MESSAGE = "Must be valid Unicode: a lone surrogate (\\ud800 to \\udfff) is not a character."


def _text_fault(text):
    if "\x00" in text:
        return NUL_MESSAGE
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # JSON's "\ud800" escape decodes to a string no database can store
        return SURROGATE_MESSAGE
    return None


def unstorable_text(value, name=""):
    """{"children[0].given_name": [...]} for each string (or key) in `value` that no database
    can store: a U+0000, or a lone surrogate."""
    found = {}
    if isinstance(value, str):
        fault = _text_fault(value)
        if fault:
            found[name or "body"] = [fault]
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{name}.{key}" if name else str(key)
            found.update(unstorable_text(key, path))
            found.update(unstorable_text(item, path))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found.update(unstorable_text(item, f"{name}[{index}]"))
    return found


class UnreadableNumber(json.JSONDecodeError):
    """A body that is JSON by its grammar but holds a number no reader should be asked to take:
    NaN or Infinity (not JSON at all, though Python's parser accepts them), an integer longer than
    Python converts (sys.get_int_max_str_digits(), 4,300 digits: a ValueError that is not a
    JSONDecodeError, so it escaped as a 500), or a float that would silently become infinite."""

    # The 400's detail (api/errors.py reads it off the error webargs aborts with).
    problem_detail = ("The request body is not valid JSON: it holds a number that cannot be read "
                      "(NaN, Infinity, an integer of more than 4300 digits, or a number beyond "
                      "+-1.8e308).")


class _Unreadable(Exception):
    pass


def _refuse_constant(_name):
    raise _Unreadable()


# Python's own default bound (sys.get_int_max_str_digits()), held here whatever the interpreter is
# set to: converting a longer integer costs time quadratic in its length.
MAX_INTEGER_DIGITS = 4300


def _read_int(text):
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _Unreadable()
    try:
        return int(text)
    except ValueError:  # a lower sys.set_int_max_str_digits() than ours
        raise _Unreadable() from None


def _read_float(text):
    number = float(text)
    if math.isinf(number):  # 1e999: JSON's grammar allows it, no double holds it
        raise _Unreadable()
    return number


def read_json(body):
    """The JSON value of a request body (bytes), as webargs' parse_json reads it, but refusing
    what UnreadableNumber names; any failure to read is a JSONDecodeError (webargs: 400)."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError(f"Bytes decoding error : {error.reason}", str(error.object),
                                   error.start) from error
    try:
        return json.loads(text, parse_int=_read_int, parse_float=_read_float,
                          parse_constant=_refuse_constant)
    except _Unreadable:
        raise UnreadableNumber(UnreadableNumber.problem_detail, text, 0) from None


class StrictParser(FlaskParser):
    # An unknown query parameter is most often a misspelt filter: say so rather than ignore it.
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": None,
        "querystring": None,
    }

    def _raw_load_json(self, req):
        # webargs' own reads the body with a plain json.loads (webargs.core.parse_json).
        if not is_json_request(req):
            return missing
        try:
            return read_json(req.get_data(cache=True))
        except RecursionError as error:  # nested deeper than Python's parser follows
            # (webargs reads an empty `doc` as "no body", so name what was sent)
            raise json.JSONDecodeError("Nested too deeply to read.", "(deeply nested)", 0) from error

    def _load_location_data(self, *, schema, req, location):
        # PostgreSQL cannot store U+0000 in text (and SQLite would keep it as a silent
        # terminator), and neither engine can encode a lone surrogate: refuse them on every
        # engine, naming the field, before any schema runs.
        data = super()._load_location_data(schema=schema, req=req, location=location)
        if hasattr(data, "lists"):  # query arguments: a name may repeat
            plain = {key: values[0] if len(values) == 1 else values for key, values in data.lists()}
        else:
            plain = data
        found = unstorable_text(plain)
        if found:
            raise ValidationError(found)
        return data


# ---- flask-smorest ----------------------------------------------------------------------------


def smorest_etag(representation):
    """The ETag flask-smorest's `@blp.etag` sends for this dumped representation."""
    return flask_smorest.Blueprint._generate_etag(representation)


# ---- limits -----------------------------------------------------------------------------------


class SweptMemoryStorage(MemoryStorage):
    """limits' in-memory storage (memory://), with expired counts swept by the requests
    themselves, at most once every SWEEP_SECONDS, instead of by a timer thread.

    limits' own starts a new `threading.Timer(0.01)` whenever the last one has finished: under
    steady load a thread per request, which the request waits to see started. Which counts are
    live is unchanged: a count past its window is dropped when it is next read (limits does that
    in `get`); the sweep only frees the memory of callers who have gone quiet."""

    STORAGE_SCHEME = ["memory-swept"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri=None, wrap_exceptions=False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()  # the one MemoryStorage starts on creation
        self._next_sweep = time.time() + self.SWEEP_SECONDS

    def _MemoryStorage__schedule_expiry(self):  # replaces MemoryStorage.__schedule_expiry
        now = time.time()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()


def storage_uri(configured):
    """memory:// (the default) is kept by SweptMemoryStorage; any other URI is limits' own."""
    scheme, separator, rest = configured.partition("://")
    return f"memory-swept://{rest}" if separator and scheme == "memory" else configured


