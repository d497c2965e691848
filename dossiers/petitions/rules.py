"""The dated deadlines of a petition (phản ánh, kiến nghị), pure of the database.

A petition is handled under the set in force on the day it was received: the latest set whose
``effective_from`` is on or before that day. The built-in set is below; an administrator adds a
later one (admin, ``petitions.PetitionRuleSet``) without a code change. Deadlines count working
days of the responsible agency's calendar (`procedures.selectors.working_days_after`): the day of
receipt is not counted, the deadline is the close of the last working day, days off (weekends,
public holidays, announced days off) are skipped.

Sources, and what was NOT checked (said here and in the README, as the house rules ask):
- Decree 20/2008/NĐ-CP of 14 February 2008 on receiving and handling feedback and petitions of
  individuals and organisations on administrative regulations (in force 3 March 2008, the date
  a published copy gives); amended by Decree 92/2017/NĐ-CP of 7 August 2017. Copies of the
  decree's chapters I and V were at hand (scope, terms, databases, reporting), NOT the articles
  that set the time limits, nor the text of Decree 92/2017's amendments.
- Decree 118/2025/NĐ-CP (in force 1 July 2025, the one-stop mechanism): whether it changes the
  handling of feedback on the one-stop service was NOT checked.
- The figures — refuse within 2 working days, ask for more information within 5, answer within
  15 — are the reference figures found for the national index (the project's brief), NOT read in
  the decrees' text. They are the built-in set's values, marked ``verified=False`` and shown as
  such; an administrator who holds the text records a set with the checked figures and article.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class PetitionRules:
    key: str
    effective_from: dt.date
    refuse_days: int  # working days to refuse a petition that cannot be received
    info_days: int  # working days to ask the petitioner for more information
    answer_days: int  # working days to answer
    citation: str  # the legal basis, printed on pages and notices
    verified: bool  # False: the figures were not checked against the text
    warn_days: int = 1  # the sweep warns this many working days before the answer is due


_CITATION_2008 = (
    "Nghị định số 20/2008/NĐ-CP ngày 14/02/2008 của Chính phủ về tiếp nhận, xử lý phản ánh, kiến nghị của "
    "cá nhân, tổ chức về quy định hành chính (sửa đổi, bổ sung bởi Nghị định số 92/2017/NĐ-CP ngày "
    "07/8/2017); điều khoản về thời hạn chưa được đối chiếu"
)

BUILT_IN: tuple[PetitionRules, ...] = (
    PetitionRules(
        key="2008",
        effective_from=dt.date(2008, 3, 3),
        refuse_days=2,
        info_days=5,
        answer_days=15,
        citation=_CITATION_2008,
        verified=False,
    ),
)


def rules_chain(overrides: list[dict]) -> list[PetitionRules]:
    """Every set, oldest first: the built-in ones and the administrator's (dicts with the
    fields of `PetitionRules`; a missing or empty value keeps the set before it)."""
    sets = sorted(BUILT_IN, key=lambda r: r.effective_from)
    for override in sorted(overrides, key=lambda o: o["effective_from"]):
        base = rules_on(sets, override["effective_from"])
        values = {
            name: override[name]
            for name in ("key", "effective_from", "refuse_days", "info_days", "answer_days", "citation", "warn_days")
            if override.get(name) not in (None, "")
        }
        values["verified"] = bool(override.get("verified"))
        sets = [r for r in sets if r.effective_from != override["effective_from"]]
        sets.append(replace(base, **values))
        sets.sort(key=lambda r: r.effective_from)
    return sets


def rules_on(sets: list[PetitionRules] | tuple[PetitionRules, ...], day: dt.date) -> PetitionRules:
    """The set in force on ``day`` (the oldest for a day before every set)."""
    ordered = sorted(sets, key=lambda r: r.effective_from)
    chosen = ordered[0]
    for rules in ordered:
        if rules.effective_from <= day:
            chosen = rules
    return chosen
