"""``Dossier.closed_at``: set once by the refusing, withdrawing and stopping transitions, backfilled
by migration 0006 from the closing event, and the date the statistics count those dossiers by."""

import datetime as dt
import importlib
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from dossiers import services
from dossiers.constants import DossierState
from dossiers.core.events import event_append
from dossiers.models import Dossier, DossierEvent
from dossiers.stats import service
from portal.constants import OfficerRole
from tests.dossiers.factories import DossierFactory
from tests.factories import OfficerMembershipFactory

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
S = DossierState
MIGRATION = importlib.import_module("dossiers.migrations.0006_closed_at")


def officer(dossier, role):
    return OfficerMembershipFactory(role=role, agency=dossier.receiving_agency).user


def test_refusal_sets_closed_at_once_and_a_later_save_keeps_it():
    dossier = DossierFactory(state=S.SUBMITTED)
    assert dossier.closed_at is None
    before = timezone.now()
    services.dossier_refuse(
        user=officer(dossier, OfficerRole.RECEPTION), dossier_id=dossier.pk, reason="Không thuộc thẩm quyền"
    )
    dossier.refresh_from_db()
    event = DossierEvent.objects.get(dossier=dossier, action="refuse")
    assert dossier.state == S.REFUSED
    assert before <= dossier.closed_at <= timezone.now()
    assert abs(dossier.closed_at - event.created_at) < dt.timedelta(seconds=1)
    closed = dossier.closed_at
    dossier.rating_comment = "ghi chú sau"
    dossier.save(update_fields=["rating_comment", "updated_at"])
    dossier.refresh_from_db()
    assert dossier.closed_at == closed
    assert dossier.updated_at > closed


@pytest.mark.parametrize(
    ("start", "action", "role", "target"),
    [
        (S.PROCESSING, "stop", OfficerRole.LEADER, S.STOPPED),
        (S.WITHDRAWAL_REQUESTED, "withdraw_accept", OfficerRole.LEADER, S.WITHDRAWN),
    ],
)
def test_stop_and_accepted_withdrawal_set_closed_at(start, action, role, target):
    dossier = DossierFactory(state=start, received_at=timezone.now() - dt.timedelta(days=2))
    user = officer(dossier, role)
    if action == "stop":
        services.dossier_stop(user=user, dossier_id=dossier.pk, reason="Có tranh chấp, dừng xử lý")
    else:
        services.dossier_withdraw_accept(user=user, dossier_id=dossier.pk, note="Đồng ý")
    dossier.refresh_from_db()
    assert dossier.state == target
    assert dossier.closed_at is not None
    assert timezone.now() - dossier.closed_at < dt.timedelta(minutes=1)


def test_open_states_have_no_closed_at():
    dossier = DossierFactory(state=S.PROCESSING, received_at=timezone.now())
    dossier.save()
    dossier.refresh_from_db()
    assert dossier.closed_at is None


def test_a_refused_dossier_saved_later_still_counts_in_its_refusal_month():
    """Refused on 27 February, touched again on 10 March: February counts it, March does not."""
    dossier = DossierFactory(state=S.SUBMITTED)
    services.dossier_refuse(
        user=officer(dossier, OfficerRole.RECEPTION), dossier_id=dossier.pk, reason="Không thuộc thẩm quyền"
    )
    refused_at = dt.datetime(2026, 2, 27, 16, tzinfo=HCM)
    Dossier.objects.filter(pk=dossier.pk).update(closed_at=refused_at, updated_at=dt.datetime(2026, 3, 10, tzinfo=HCM))
    for day in range(1, 32):
        service.stats_rollup_day(day=dt.date(2026, 3, day))
    for day in range(1, 29):
        service.stats_rollup_day(day=dt.date(2026, 2, day))
    scope = service.Scope(agency_ids=frozenset({dossier.receiving_agency_id}))
    february = service.summarise(
        service.stats_rows(scope=scope, first_day=dt.date(2026, 2, 1), last_day=dt.date(2026, 2, 28))
    )
    march = service.summarise(
        service.stats_rows(scope=scope, first_day=dt.date(2026, 3, 1), last_day=dt.date(2026, 3, 31))
    )
    assert (february["refused"], march["refused"]) == (1, 0)
    listed = service.dossiers_behind(
        figure="refused", scope=scope, first_day=dt.date(2026, 2, 1), last_day=dt.date(2026, 2, 28)
    )
    assert list(listed.values_list("pk", flat=True)) == [dossier.pk]


def test_a_stopped_dossier_is_open_until_its_closing_not_its_last_change():
    """Received 2 March, stopped 12 March, saved again 20 March: open on 11 March, not on 13 March."""
    dossier = DossierFactory(
        state=S.STOPPED,
        received_at=dt.datetime(2026, 3, 2, 9, tzinfo=HCM),
        due_at=dt.datetime(2026, 3, 30, 17, tzinfo=HCM),
        closed_at=dt.datetime(2026, 3, 12, 10, tzinfo=HCM),
    )
    Dossier.objects.filter(pk=dossier.pk).update(updated_at=dt.datetime(2026, 3, 20, tzinfo=HCM))
    scope = service.Scope(agency_ids=frozenset({dossier.receiving_agency_id}))
    eleventh = service.stats_direct(scope=scope, first_day=dt.date(2026, 3, 11), last_day=dt.date(2026, 3, 11))
    thirteenth = service.stats_direct(scope=scope, first_day=dt.date(2026, 3, 13), last_day=dt.date(2026, 3, 13))
    assert (eleventh["carried_over"], eleventh["in_progress_on_time"], eleventh["stopped"]) == (1, 1, 0)
    assert (thirteenth["carried_over"], thirteenth["in_progress_on_time"], thirteenth["stopped"]) == (0, 0, 0)
    twelfth = service.stats_direct(scope=scope, first_day=dt.date(2026, 3, 12), last_day=dt.date(2026, 3, 12))
    assert twelfth["stopped"] == 1


def test_migration_backfills_from_the_closing_event_else_the_last_change():
    refusal_time = dt.datetime(2025, 5, 6, 10, tzinfo=HCM)
    withdrawal_time = dt.datetime(2025, 7, 8, 11, tzinfo=HCM)
    last_change = dt.datetime(2025, 9, 1, 8, tzinfo=HCM)
    # Events are append-only (a trigger refuses UPDATE): they are written at the wanted time.
    refused = DossierFactory(state=S.SUBMITTED)
    with mock.patch("dossiers.core.events.timezone.now", return_value=refusal_time):
        event_append(dossier=refused, action="refuse", from_state=S.SUBMITTED, to_state=S.REFUSED)
    withdrawn = DossierFactory(state=S.SUBMITTED)
    with mock.patch("dossiers.core.events.timezone.now", return_value=withdrawal_time):
        event_append(dossier=withdrawn, action="withdraw_requested", from_state=S.SUBMITTED, to_state=S.WITHDRAWN)
    no_event = DossierFactory(state=S.STOPPED)
    still_open = DossierFactory(state=S.PROCESSING)
    Dossier.objects.filter(pk__in=[refused.pk, withdrawn.pk]).update(state=S.REFUSED, closed_at=None)
    Dossier.objects.filter(pk=withdrawn.pk).update(state=S.WITHDRAWN)
    Dossier.objects.filter(pk__in=[refused.pk, withdrawn.pk, no_event.pk, still_open.pk]).update(
        closed_at=None, updated_at=last_change
    )

    class Editor:
        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    MIGRATION.backfill(None, Editor())
    got = dict(
        Dossier.objects.filter(pk__in=[refused.pk, withdrawn.pk, no_event.pk, still_open.pk]).values_list(
            "pk", "closed_at"
        )
    )
    assert got == {
        refused.pk: refusal_time,
        withdrawn.pk: withdrawal_time,
        no_event.pk: last_change,
        still_open.pk: None,
    }
