"""What each route declares about itself, in one place: its `blp.route(...)` call (api/routes).

A route says who may call it (`roles`, or `public`), whether it writes (one write transaction,
committed once, with Idempotency-Key replay: api/transactions.py), whether it reads case data
(every call recorded in the access log: api/access.py), whether it is outside the rate
limits (api/limits.py), and which fields of its answer are shown once, never kept for a replay. Those modules ask `current_declaration()`; a test walks the URL map and
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
    # Top-level fields of a write's answer kept out of its Idempotency-Key replay (a new secret:
    # never stored in clear); a replay answers them null.
    shown_once: tuple = ()

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
        if self.shown_once and not self.writes:
            raise ValueError("shown_once names fields of a write's answer (kept for its replay)")


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
