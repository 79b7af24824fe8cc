"""SQLAlchemy 2 typed models, one module per aggregate."""

from .accounts import Account
from .agencies import Agency
from .audit import AuditEvent
from .children import Child
from .contacts import ConsentRecord, Contact, ContactChild
from .counters import ReferenceCounter
from .idempotency import IdempotencyRecord

__all__ = [
    "Account",
    "Agency",
    "AuditEvent",
    "Child",
    "ConsentRecord",
    "Contact",
    "ContactChild",
    "IdempotencyRecord",
    "ReferenceCounter",
]
