"""``manage.py stats_backfill``: a day rolled up before dossiers 0022 (new counters at zero) gets
the digitisation and sync figures; a second run changes nothing."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from dossiers.constants import Channel, DossierState
from dossiers.models import DailyStat, MonthlyStat
from dossiers.stats import service
from portal.models import SyncRecord, SyncState
from tests.dossiers.factories import DossierDocumentFactory
from tests.dossiers.stats.factories import HCM, make
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db
NEW = ("documents", "documents_digitised", "documents_exempt", "received_synced")


def snapshot():
    daily = sorted(
        (r.day, r.agency_id, r.procedure_id, r.channel, r.received, *(getattr(r, f) for f in NEW))
        for r in DailyStat.objects.all()
    )
    monthly = sorted(
        (r.month, r.agency_id, r.channel, r.received, *(getattr(r, f) for f in NEW)) for r in MonthlyStat.objects.all()
    )
    return daily, monthly


def test_a_day_rolled_up_the_old_way_gets_its_figures_and_a_second_run_changes_nothing(hand_built):
    _agency, version = hand_built
    agency = AgencyFactory()
    at = dt.datetime(2026, 6, 3, 10, tzinfo=HCM)
    first = make(version, agency, state=DossierState.RECEIVED, received_at=at, due_at=at + dt.timedelta(days=3))
    second = make(version, agency, state=DossierState.RECEIVED, received_at=at, due_at=at + dt.timedelta(days=3))
    DossierDocumentFactory(dossier=first, component_name="Tờ khai", digitised_at=at)
    DossierDocumentFactory(dossier=first, component_name="CCCD", digitised_at=at)
    DossierDocumentFactory(dossier=second, component_name="Giấy tờ giấy")
    DossierDocumentFactory(dossier=second, component_name="Bản chính", digitisation_exempt="Chỉ để đối chiếu")
    SyncRecord.objects.create(
        dossier_id=first.pk, dossier_code=first.code, source="t-0", state=SyncState.SENT, created_at=at
    )
    service.stats_rollup_day(day=at.date())
    # The old roll-up: the columns added by 0022 at their default.
    DailyStat.objects.update(**dict.fromkeys(NEW, 0))
    MonthlyStat.objects.update(**dict.fromkeys(NEW, 0))

    out = io.StringIO()
    call_command("stats_backfill", "--since", "2026-06-01", stdout=out)
    assert "1 ngày cần tính lại." in out.getvalue()
    assert "1/1 ngày" in out.getvalue()
    rows = DailyStat.objects.filter(agency=agency, day=at.date())
    assert sum(r.received for r in rows) == 2
    assert [sum(getattr(r, f) for r in rows) for f in NEW] == [4, 2, 1, 1]
    month = MonthlyStat.objects.get(agency=agency, month=dt.date(2026, 6, 1), channel=Channel.ONLINE)
    assert [getattr(month, f) for f in NEW] == [4, 2, 1, 1]

    before = snapshot()
    again = io.StringIO()
    call_command("stats_backfill", "--since", "2026-06-01", stdout=again)
    assert "0 ngày cần tính lại." in again.getvalue()
    # Over every day: days with no documents are rolled up again, to the same figures.
    call_command("stats_backfill", stdout=io.StringIO())
    assert snapshot() == before
