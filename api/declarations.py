"""What each route declares about itself, in one place: its `blp.route(...)` call (api/routes).

A route says who may call it (`roles`, or `public`), whether it writes (one write transaction,
committed once, with Idempotency-Key replay: api/transactions.py), whether it reads case data
(every call recorded in the access log: api/access.py), and whether it is outside the rate
limits (api/limits.py). Those modules ask `current_declaration()`; a test walks the URL map and
fails on any route without a declaration.
"""

from dataclasses import dataclass

from flask import current_app, request

# The kinds of record a read can be logged against (api/access.py knows their children).
CASE_RECORDS = ("child", "contact", "strategy_meeting", "transition", "information_request",
                "assessment")
LOGGED_RECORDS = (*CASE_RECORDS, "access_log", "audit_log", "export")


@dataclass(frozen=True)
class Declaration:
    roles: tuple = ()
    public: bool = False
    writes: bool = False
    logs_access: str | None = None  # the kind of record read: one of LOGGED_RECORDS
    rate_limited: bool = True

    def __post_init__(self):
        if self.public == bool(self.roles):
            raise ValueError("a route is either public or names the roles that may call it")
        if self.public and self.writes:
            raise ValueError("a public route may not write: its Idempotency-Key has no caller")
        if self.logs_access is not None:
            if self.logs_access not in LOGGED_RECORDS:
                raise ValueError(f"logs_access needs one of {', '.join(LOGGED_RECORDS)}, "
                                 f"got {self.logs_access!r}")
            if self.writes:
                raise ValueError("a write is in the audit trail; only reads log access")


_DECLARED = {}


def declare(view, declaration):
    _DECLARED[view] = declaration
    return view


def declaration_of(view):
    """The route's Declaration, or None for a view registered without one."""
    return _DECLARED.get(view)


def current_declaration():
    """The Declaration of the route this request reached, or None (no route matched)."""
    view = current_app.view_functions.get(request.endpoint)
    return declaration_of(view) if view is not None else None
