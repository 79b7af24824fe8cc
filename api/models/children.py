import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from ..vocab import DISABILITIES, ETHNICITIES, SEXES
from .checks import list_of, one_of


class Child(Base):
    """A council child record, linked from every contact about the child.

    A contact never changes it: what a referrer says is kept on the contact's child entry
    (ContactChild). A duplicate merged into another record points at it (`merged_into_id`).
    """

    __tablename__ = "children"
    __table_args__ = (
        one_of("sex", SEXES),
        one_of("ethnicity", ETHNICITIES),
        list_of("disabilities", tuple(DISABILITIES)),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    # Indexed: a contact's child is looked for among the children born that day (same names).
    date_of_birth: Mapped[date | None] = mapped_column(Date, index=True)
    expected_date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    # A DfE CIN census ethnicity code (api/vocab.py), when the referrer or a practitioner knows it.
    ethnicity: Mapped[str | None] = mapped_column(String(4))
    # Whether the child has a disability (null: not known), and which (CIN census codes).
    disability: Mapped[bool | None] = mapped_column(Boolean)
    # none_as_null: no codes is SQL NULL, not JSON null (which its CHECK, a list, refuses).
    disabilities: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    nhs_number: Mapped[str | None] = mapped_column(String(10), unique=True)
    local_child_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set while this record is merged into another (a duplicate): it then answers 404 with a
    # pointer, and its contacts, meetings and transitions are the other record's.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("children.id"), index=True)

    contact_links = relationship(
        "ContactChild", back_populates="child", viewonly=True,
        primaryjoin="Child.id == ContactChild.child_id",
    )

    @property
    def merged_into(self):
        return self.merged_into_id


class ChildMerge(Base):
    """A duplicate child record merged into another, and (later) perhaps undone.

    `moved` names exactly what the merge moved from the duplicate to the child (contact entries
    as [contact_id, position], meetings, ICPC entries and transitions), so that undoing it moves
    back those, and only those, still on the child.
    """

    __tablename__ = "child_merges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    duplicate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    moved: Mapped[dict] = mapped_column(JSON)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    merged_by_sub: Mapped[str] = mapped_column(String(100))
    unmerged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unmerged_by_sub: Mapped[str | None] = mapped_column(String(100))
    unmerge_reason: Mapped[str | None] = mapped_column(Text)
