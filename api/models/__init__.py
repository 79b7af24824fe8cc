"""SQLAlchemy 2 typed models, one module per aggregate."""

from .access import AccessEvent, AccessEventRecord
from .accounts import Account, SignInFailures
from .agencies import Agency
from .assessments import Allocation, Assessment, AssessmentFactor
from .audit import AuditEvent
from .children import Child, ChildMerge
from .contacts import (
    ChildLinkDecision, ConsentRecord, Contact, ContactChild, PossibleMatch, RagRating,
)
from .counters import ReferenceCounter
from .decisions import Decision, Feedback
from .idempotency import IdempotencyRecord
from .information_requests import InformationRequest, InformationRequestChild
from .jobs import Job, JobChunk
from .meetings import (
    Attendance, IcpcChild, Invitation, MeetingAction, MeetingChild, StrategyMeeting,
)
from .restrictions import Restriction, RestrictionGrant, RestrictionMember
from .transitions import Transition
from .webhooks import WebhookAttempt, WebhookMessage, WebhookSubscription

__all__ = [
    "WebhookAttempt",
    "WebhookMessage",
    "WebhookSubscription",
    "Allocation",
    "Assessment",
    "AssessmentFactor",
    "Job",
    "JobChunk",
    "InformationRequest",
    "InformationRequestChild",
    "AccessEvent",
    "AccessEventRecord",
    "Account",
    "SignInFailures",
    "Attendance",
    "Decision",
    "Feedback",
    "IcpcChild",
    "Invitation",
    "MeetingAction",
    "MeetingChild",
    "StrategyMeeting",
    "Transition",
    "Agency",
    "AuditEvent",
    "Child",
    "ChildLinkDecision",
    "ChildMerge",
    "ConsentRecord",
    "Contact",
    "ContactChild",
    "PossibleMatch",
    "RagRating",
    "IdempotencyRecord",
    "ReferenceCounter",
    "Restriction",
    "RestrictionGrant",
    "RestrictionMember",
]
