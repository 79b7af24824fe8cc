import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime
from ..vocab import ACTOR_ROLES, JOB_KINDS, JOB_STATUSES
from .checks import one_of


class Job(Base):
    """Long work done by a worker process, not a request (api/jobs.py): a verification of the
    audit chain or an export of any size, with its progress and its result."""

    __tablename__ = "jobs"
    __table_args__ = (
        # A worker looks for the oldest queued job, or a running one whose worker went quiet.
        Index("ix_jobs_status_created_at", "status", "created_at"),
        Index("ix_jobs_requested_by_created_at", "requested_by_sub", "created_at"),
        one_of("kind", JOB_KINDS),
        one_of("status", JOB_STATUSES),
        one_of("requested_by_role", ACTOR_ROLES),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))
    # Who asked (the worker acts with their role and sees what they may see).
    requested_by_sub: Mapped[str] = mapped_column(String(100))
    requested_by_role: Mapped[str] = mapped_column(String(20))
    requested_by_service: Mapped[str | None] = mapped_column(String(20))
    requested_by_agency: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How many times a worker took it up (more than one: its worker stopped, and it was resumed
    # from `resume` or restarted from the beginning: `start`).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    start: Mapped[str | None] = mapped_column(String(10))
    worker: Mapped[str | None] = mapped_column(String(100))
    done: Mapped[int] = mapped_column(BigInteger, default=0)
    of: Mapped[int | None] = mapped_column(BigInteger)
    # Where a resumable job had got to (verification: the length verified and its hash).
    resume: Mapped[dict | None] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class JobChunk(Base):
    """A piece of a job's file (an export), in order; read back whole by GET /jobs/{id}/result."""

    __tablename__ = "job_chunks"

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
