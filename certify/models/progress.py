"""Progress counters: how many holders a unit's subtree gains or loses on each day.

Every recognition adds +1 on its first valid day and -1 on the day after its last, to its unit and
every ancestor. Holders of unit U on day D are then the sum of U's deltas up to D: the cost depends
on how many days had changes, never on how many citizens there are.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ProgressDelta(db.Model):
    __tablename__ = "progress_deltas"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    title_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    delta: Mapped[int] = mapped_column(Integer, default=0)
