"""The statistics' hand-built set (9–20 March 2026) with the figures it must give, and builders
of the statistics tests."""

import datetime as dt
from zoneinfo import ZoneInfo

from dossiers.constants import Channel, DossierState
from dossiers.models import Dossier, Payment
from dossiers.stats import service
from portal.constants import OfficerRole
from tests.dossiers.factories import DossierFactory, OnlineVersionFactory
from tests.factories import AgencyFactory, OfficerMembershipFactory, with_totp

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST, LAST = dt.date(2026, 3, 9), dt.date(2026, 3, 20)


def at(day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=HCM)


def make(version, agency, *, updated=None, closed=None, **fields) -> Dossier:
    if closed:
        fields["closed_at"] = closed
    dossier = DossierFactory(procedure_version=version, receiving_agency=agency, **fields)
    if updated:
        Dossier.objects.filter(pk=dossier.pk).update(updated_at=updated)
    return dossier


def pay(dossier, amount, when, status="succeeded", phase="at_submission"):
    Payment.objects.create(
        dossier=dossier,
        reference=f"REF{dossier.pk}{amount}",
        phase=phase,
        amount=amount,
        status=status,
        payer=dossier.applicant,
        created_at=when,
        paid_at=when if status == "succeeded" else None,
    )


def hand_built_set():
    """Period 9–20 March 2026 (Mon–Fri, no holidays); expected figures in EXPECTED.

    Returns ``(agency, version)``; the ``hand_built`` fixture (tests/conftest.py) builds it."""
    agency = AgencyFactory()
    version = OnlineVersionFactory()
    S = DossierState
    make(
        version,
        agency,
        channel=Channel.COUNTER,
        state=S.RESOLVED,
        received_at=at(5, 8),
        due_at=at(12, 17),
        resolved_at=at(10, 8),
    )  # carried over, early, 1440 min
    d2 = make(
        version,
        agency,
        state=S.RETURNED,
        received_at=at(9),
        due_at=at(11, 17),
        resolved_at=at(11, 16),
        rating="satisfied",
        rated_at=at(12),
    )  # on time, 1290 min
    make(
        version,
        agency,
        state=S.RESOLVED,
        received_at=at(9, 8),
        original_due_at=at(12, 17),
        due_at=at(17, 17),
        apology_at=at(12, 10),
        resolved_at=at(16, 10),
    )  # late then resolved (apology), 2520 min
    make(
        version,
        agency,
        channel=Channel.POST,
        state=S.SUPPLEMENT_REQUESTED,
        received_at=at(10),
        paused_at=at(12),
        due_at=at(20, 17),
    )  # paused for supplement at the end
    make(version, agency, state=S.PROCESSING, received_at=at(16), due_at=at(18, 17))  # overdue
    make(version, agency, channel=Channel.COUNTER, state=S.PROCESSING, received_at=at(19), due_at=at(25, 17))
    make(
        version, agency, state=S.RESOLVED, received_at=at(20, 10), due_at=at(24, 17), resolved_at=at(23)
    )  # straddles the end: in progress on time
    make(
        version,
        agency,
        state=S.RESOLVED,
        received_at=at(3),
        due_at=at(13, 17),
        resolved_at=at(13, 15),
        paused_minutes=960,
        rating="very_satisfied",
        rated_at=at(14, 10),
    )  # carried over, paused, on time
    # Closed in the period, then saved again after it (``updated_at`` moves, ``closed_at`` stays).
    after = dt.datetime(2026, 4, 2, 9, tzinfo=HCM)
    make(version, agency, state=S.REFUSED, closed=at(11, 10), updated=after)
    make(version, agency, state=S.WITHDRAWN, received_at=at(9), due_at=at(20, 17), closed=at(12), updated=after)
    make(
        version, agency, state=S.STOPPED, received_at=at(2), due_at=at(30, 17), closed=at(18), updated=after
    )  # carried over
    make(
        version,
        agency,
        state=S.RETURNED,
        received_at=at(2),
        due_at=at(6, 17),
        resolved_at=at(6),
        rating="dissatisfied",
        rated_at=at(10),
    )  # before the period, rated inside
    make(version, agency, state=S.PROCESSING, received_at=at(23), due_at=at(27, 17))  # after the period
    d14 = make(version, agency, state=S.PAYMENT_REQUESTED, received_at=at(11), paused_at=at(13), due_at=at(19, 17))
    pay(d2, 20_000, at(9, 10))
    pay(d14, 30_000, at(11, 9, 30))
    pay(d14, 99_999, at(12), status="failed", phase="before_result")
    for n in range(1, 32):
        service.stats_rollup_day(day=dt.date(2026, 3, n))
    return agency, version


EXPECTED = {
    "carried_over": 3,
    "received": 8,
    "received_online": 6,
    "received_counter": 1,
    "received_post": 1,
    "resolved": 4,
    "resolved_early": 1,
    "resolved_on_time": 2,
    "resolved_late": 1,
    "in_progress_on_time": 2,
    "in_progress_overdue": 1,
    "paused_supplement": 1,
    "paused_payment": 1,
    "stopped": 1,
    "withdrawn": 1,
    "refused": 1,
    "on_time_rate": 75.0,
    "online_share": 75.0,
    "avg_processing_days": 4.38,  # (1440 + 1290 + 2520 + 3150) / 480 / 4 = 4.375
    "p90_processing_days": 7,  # whole days 3, 3, 6, 7
    "fees_online": 50_000,
    "rating_very_satisfied": 1,
    "rating_satisfied": 1,
    "rating_dissatisfied": 1,
    "satisfaction_rate": 66.67,
    "apologies": 1,
}


PERIOD = {"date_from": FIRST.isoformat(), "date_to": LAST.isoformat()}


def officer(agency, role=OfficerRole.DEPARTMENT_HEAD):
    return with_totp(OfficerMembershipFactory(agency=agency, role=role).user)
