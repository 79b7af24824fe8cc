from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..vocab import AGENCY_KINDS, REFERRAL_SOURCES
from .checks import one_of


class Agency(Base):
    """A partner agency, mapped to its DfE Children in Need referral source code."""

    __tablename__ = "agencies"
    __table_args__ = (
        one_of("kind", AGENCY_KINDS),
        one_of("referral_source", REFERRAL_SOURCES),
    )

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    referral_source: Mapped[str] = mapped_column(String(4))
