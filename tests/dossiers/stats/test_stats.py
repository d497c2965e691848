"""Statistics: every figure on a hand-built set, roll-up == direct count (hypothesis), permissions."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dossiers.constants import Channel, DossierState
from dossiers.models import DailyStat, Dossier, Payment
from dossiers.stats import service
from tests.dossiers.factories import OnlineVersionFactory
from tests.dossiers.stats.factories import EXPECTED, FIRST, HCM, LAST, make, pay
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db


def test_every_figure_on_a_hand_built_set(hand_built):
    agency, _ = hand_built
    scope = service.Scope(agency_ids=frozenset({agency.pk}))
    from_rollup = service.summarise(service.stats_rows(scope=scope, first_day=FIRST, last_day=LAST))
    assert from_rollup == EXPECTED
    assert service.stats_direct(scope=scope, first_day=FIRST, last_day=LAST) == EXPECTED


def test_lists_behind_numbers_match_the_counts(hand_built):
    agency, _ = hand_built
    scope = service.Scope(agency_ids=frozenset({agency.pk}))
    for key in ("carried_over", "received", "resolved_late", "in_progress_overdue", "paused_supplement", "refused"):
        listed = service.dossiers_behind(figure=key, scope=scope, first_day=FIRST, last_day=LAST)
        assert listed.count() == EXPECTED[key], key


def test_rollup_is_idempotent(hand_built):
    before = DailyStat.objects.count()
    service.stats_rollup_day(day=dt.date(2026, 3, 10))
    assert DailyStat.objects.count() == before


# ---------------------------------------------------------------------------- hypothesis
BASE = dt.datetime(2026, 2, 2, 0, 0, tzinfo=HCM)  # Monday; 28 days of random activity
STATES = [
    DossierState.PROCESSING,
    DossierState.RESOLVED,
    DossierState.RETURNED,
    DossierState.SUPPLEMENT_REQUESTED,
    DossierState.PAYMENT_REQUESTED,
    DossierState.WITHDRAWN,
    DossierState.STOPPED,
    DossierState.REFUSED,
]
hours = st.integers(min_value=0, max_value=28 * 24 - 1)
dossier_spec = st.fixed_dictionaries(
    {
        "state": st.sampled_from(STATES),
        "channel": st.sampled_from(list(Channel.values)),
        "received": hours,
        "due": st.integers(min_value=-24, max_value=10 * 24),
        "apology": st.booleans(),
        "end": st.integers(min_value=1, max_value=12 * 24),
        "paused_minutes": st.integers(min_value=0, max_value=2000),
        "rating": st.sampled_from(["", "very_satisfied", "satisfied", "dissatisfied"]),
        "agency": st.integers(min_value=0, max_value=1),
    }
)


@settings(
    max_examples=10,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(specs=st.lists(dossier_spec, min_size=1, max_size=12), first=st.integers(0, 27), length=st.integers(0, 27))
def test_rollup_equals_direct_count(specs, first, length):
    Payment.objects.all().delete()
    Dossier.objects.all().delete()
    DailyStat.objects.all().delete()
    version = OnlineVersionFactory()
    agencies = [AgencyFactory(), AgencyFactory()]
    for spec in specs:
        received = BASE + dt.timedelta(hours=spec["received"])
        due = received + dt.timedelta(hours=spec["due"])
        end = received + dt.timedelta(hours=spec["end"])
        fields = {"state": spec["state"], "channel": spec["channel"], "received_at": received, "due_at": due}
        if spec["apology"]:
            fields.update(
                original_due_at=due, due_at=due + dt.timedelta(days=3), apology_at=due - dt.timedelta(hours=2)
            )
        if spec["state"] in (DossierState.RESOLVED, DossierState.RETURNED):
            fields.update(resolved_at=end, paused_minutes=spec["paused_minutes"])
            if spec["rating"]:
                fields.update(rating=spec["rating"], rated_at=end + dt.timedelta(hours=5))
        if spec["state"] in (DossierState.SUPPLEMENT_REQUESTED, DossierState.PAYMENT_REQUESTED):
            fields["paused_at"] = end
        if spec["state"] == DossierState.REFUSED:
            fields.update(received_at=None, due_at=None)
        closed = spec["state"] in (DossierState.WITHDRAWN, DossierState.STOPPED, DossierState.REFUSED)
        dossier = make(version, agencies[spec["agency"]], closed=end if closed else None, **fields)
        if spec["rating"] and spec["channel"] == Channel.ONLINE:
            pay(dossier, 10_000 + spec["paused_minutes"], received + dt.timedelta(hours=1))
    for n in range(-1, 56):
        service.stats_rollup_day(day=BASE.date() + dt.timedelta(days=n))
    first_day = BASE.date() + dt.timedelta(days=first)
    last_day = first_day + dt.timedelta(days=length)
    for scope in (service.Scope(), service.Scope(agency_ids=frozenset({agencies[0].pk}))):
        rolled = service.summarise(service.stats_rows(scope=scope, first_day=first_day, last_day=last_day))
        assert rolled == service.stats_direct(scope=scope, first_day=first_day, last_day=last_day)


def test_the_current_day_is_counted_live_and_cached(django_assert_max_num_queries):
    from django.core.cache import cache
    from django.utils import timezone

    version, agency = OnlineVersionFactory(), AgencyFactory()
    now = timezone.now()
    make(version, agency, state=DossierState.PROCESSING, received_at=now, due_at=now + dt.timedelta(days=2))
    make(
        version,
        agency,
        state=DossierState.RESOLVED,
        received_at=now - dt.timedelta(days=40),
        due_at=now - dt.timedelta(days=1),
        resolved_at=now,
    )
    today = timezone.localdate()
    service.stats_rollup_day(day=today - dt.timedelta(days=1))  # last night's run: the carried-over stock
    scope = service.Scope(agency_ids=frozenset({agency.pk}))
    live = service.summarise(service.stats_rows(scope=scope, first_day=today, last_day=today))
    assert (live["carried_over"], live["received"], live["resolved_late"], live["in_progress_on_time"]) == (1, 1, 1, 1)
    assert live == service.stats_direct(scope=scope, first_day=today, last_day=today)
    assert cache.get(f"stats:live:{today.isoformat()}") is not None
    with django_assert_max_num_queries(4):  # the roll-up only: the live day comes from the cache
        service.stats_rows(scope=scope, first_day=today - dt.timedelta(days=3), last_day=today)


def test_live_day_counts_what_the_direct_count_does(django_assert_max_num_queries):
    """The live path (today's rows by index, the stock from the open dossiers) gives the same
    rows as one pass over every dossier, in every state; the memo of working minutes too."""
    from django.utils import timezone

    from dossiers.stats import compute

    start, end = compute.day_bounds(timezone.localdate())
    now = start + dt.timedelta(hours=12)  # the moment counted: noon today, whatever the clock says
    version, agencies = OnlineVersionFactory(), [AgencyFactory(), AgencyFactory()]
    hour = dt.timedelta(hours=1)
    S = DossierState
    for n, agency in enumerate(agencies):
        earlier = now - dt.timedelta(days=3 + n)
        make(version, agency, state=S.PROCESSING, received_at=earlier, due_at=now + hour)  # on time
        make(version, agency, state=S.CONSULTING, received_at=earlier, due_at=now - hour)  # overdue
        make(
            version,
            agency,
            state=S.PENDING_APPROVAL,
            received_at=earlier,
            original_due_at=now - hour,
            due_at=now + 5 * hour,
            apology_at=now - 2 * hour,
        )  # apology: still overdue against the first appointment
        make(version, agency, state=S.RECEIVED, received_at=now - hour, due_at=now + 9 * hour)  # received today
        # Received this afternoon (an online dossier filed out of hours): a flow today, not yet open.
        make(version, agency, state=S.RECEIVED, received_at=now + 2 * hour, due_at=now + 30 * hour)
        make(version, agency, state=S.SUPPLEMENT_REQUESTED, received_at=earlier, paused_at=now - hour, due_at=now)
        make(version, agency, state=S.PAYMENT_REQUESTED, received_at=earlier, paused_at=earlier, due_at=now - hour)
        make(version, agency, state=S.WITHDRAWAL_REQUESTED, received_at=earlier, due_at=now + hour)
        make(version, agency, state=S.WITHDRAWN, received_at=earlier, due_at=now + hour, closed=now - hour)
        make(version, agency, state=S.STOPPED, received_at=earlier, due_at=now + hour, closed=earlier + hour)
        make(version, agency, state=S.REFUSED, closed=now - 2 * hour)
        make(version, agency, state=S.SUBMITTED)
        make(
            version,
            agency,
            state=S.RESOLVED,
            received_at=earlier,
            due_at=now + hour,
            resolved_at=now - hour,
            channel=Channel.COUNTER,
        )
        make(
            version,
            agency,
            state=S.RETURNED,
            received_at=earlier - dt.timedelta(days=9),
            due_at=earlier,
            resolved_at=earlier + hour,
            rating="satisfied",
            rated_at=now - hour,
        )
    direct = compute.period_rows(start=start, end=end, moment=now)
    memo: dict = {}
    live = compute.period_rows(start=start, end=end, moment=now, live=True, minutes_memo=memo)

    def by_key(rows):
        return sorted(rows, key=lambda r: (r["receiving_agency_id"], r["procedure_id"], r["channel"]))

    assert by_key(live) == by_key(direct)
    mine = [r for r in live if r["receiving_agency_id"] == agencies[0].pk]
    totals = {f: sum(r[f] for r in mine) for f in ("open_on_time", "open_overdue", "paused_supplement")}
    assert totals == {"open_on_time": 3, "open_overdue": 2, "paused_supplement": 1}
    assert sum(r["received"] for r in mine) == 2 and sum(r["withdrawn"] for r in mine) == 1
    assert len(memo) == 2  # one resolved dossier per agency today
    # A memo entry is used only for the same inputs: a stale one under another key is dropped.
    memo[(0, 0, None, None, 0)] = 10**6
    # Savepoint, jit off, agencies, flows, stock, payments, documents (digitisation), resolved,
    # release: no calendar read.
    with django_assert_max_num_queries(9):
        again = compute.period_rows(start=start, end=end, moment=now, live=True, minutes_memo=memo)
    assert by_key(again) == by_key(direct)
    assert len(memo) == 2 and (0, 0, None, None, 0) not in memo
