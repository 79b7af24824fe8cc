import uuid
from datetime import date, datetime

from sqlalchemy import Date, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..vocab import ETHNICITIES, SEXES
from .checks import one_of


class Child(Base):
    """A child, recorded once and linked from every contact about them.

    A later contact with the same NHS number or local child id links to the same record.
    """

    __tablename__ = "children"
    __table_args__ = (
        one_of("sex", SEXES),
        one_of("ethnicity", ETHNICITIES),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    expected_date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    # A DfE CIN census ethnicity code (api/vocab.py), when the referrer or a practitioner knows it.
    ethnicity: Mapped[str | None] = mapped_column(String(4))
    nhs_number: Mapped[str | None] = mapped_column(String(10), unique=True)
    local_child_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    contact_links = relationship("ContactChild", back_populates="child", viewonly=True)
