"""National-portal / LGSP sync: the message, its push on each status change, retries."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from dossiers.services import event_append
from portal.models import SyncRecord, SyncState
from portal.services.national_sync import dossier_sync_message, sync_date, sync_record_push
from portal.tasks import national_sync_retry_due
from tests.dossiers.factories import DossierDocumentFactory, DossierFactory
from tests.factories import OrganisationMembershipFactory

pytestmark = pytest.mark.django_db

DATE = r"^\d{14}$"


@pytest.fixture
def sync_on(settings, receiver):
    settings.NATIONAL_SYNC_URL = receiver.url
    settings.NATIONAL_SYNC_TOKEN = "lgsp-test-token"  # noqa: S105
    return receiver


def test_dates_are_local_yyyymmddhhmmss():
    moment = datetime(2026, 3, 1, 17, 5, 9, tzinfo=UTC)
    assert sync_date(moment) == "20260302000509"  # Asia/Ho_Chi_Minh is UTC+7
    assert sync_date(None) == ""


def test_message_holds_the_national_fields():
    organisation = OrganisationMembershipFactory().organisation
    dossier = DossierFactory(received=True, organisation=organisation, channel="post")
    DossierDocumentFactory(dossier=dossier)
    message = dossier_sync_message(dossier)
    assert message["MaHoSo"] == dossier.code
    assert message["MaTTHC"] == dossier.procedure.code
    assert message["TenTTHC"] == dossier.procedure_version.name
    assert message["MaLinhVuc"] == dossier.procedure.sector.code
    assert message["ChuHoSo"] == dossier.applicant_name
    assert message["LoaiDoiTuong"] == 2 and message["HinhThuc"] == 3
    assert message["TrangThaiHoSo"] == 2
    assert message["DonViXuLy"] == dossier.receiving_agency.name
    assert message["NgayTiepNhan"] == sync_date(dossier.received_at)
    assert len(message["TaiLieuNop"]) == 1 and message["TaiLieuNop"][0]["TenThanhPhan"]
    assert message["NgayTra"] == "" and message["DanhSachHoSoBoSung"] == []
    assert isinstance(message["PhiLePhi"], list) and isinstance(message["DanhSachGiayToKetQua"], list)


def test_each_status_change_is_pushed_and_recorded(sync_on, django_capture_on_commit_callbacks):
    dossier = DossierFactory(received=True)
    old_due = dossier.due_at
    with django_capture_on_commit_callbacks(execute=True):
        event_append(
            dossier=dossier, action="request_supplement", from_state="received", to_state="supplement_requested"
        )
    dossier.due_at = old_due + timedelta(days=3)
    dossier.state = "received"
    dossier.save()
    with django_capture_on_commit_callbacks(execute=True):
        event_append(
            dossier=dossier, action="supplement_submitted", from_state="supplement_requested", to_state="received"
        )
        event_append(dossier=dossier, action="note", note="no status change")
    assert len(sync_on.requests) == 2
    request = sync_on.requests[-1]
    assert request.headers["authorization"] == "Bearer lgsp-test-token"
    message = json.loads(request.body)["data"][0]
    assert message["MaHoSo"] == dossier.code
    for key in ("NgayTiepNhan", "NgayHenTra"):
        assert len(message[key]) == 14 and message[key].isdigit()
    history = message["DanhSachHoSoBoSung"]
    assert len(history) == 1
    assert history[0]["NgayHenTraCu"] == sync_date(old_due)
    assert history[0]["NgayHenTraMoi"] == sync_date(dossier.due_at)
    assert history[0]["NgayBoSung"]
    records = SyncRecord.objects.filter(dossier_id=dossier.pk)
    assert {r.state for r in records} == {SyncState.SENT} and {r.response_code for r in records} == {200}


def test_failed_push_is_retried_then_sent(sync_on, django_capture_on_commit_callbacks):
    sync_on.statuses = [503]
    dossier = DossierFactory(received=True)
    with django_capture_on_commit_callbacks(execute=True):
        event_append(dossier=dossier, action="receive", from_state="submitted", to_state="received")
    record = SyncRecord.objects.get()
    assert record.state == SyncState.RETRYING and record.response_code == 503
    assert sync_record_push(record_id=record.pk, now=record.next_attempt_at) == SyncState.SENT
    assert national_sync_retry_due() == 0


def test_disabled_without_a_url(settings, django_capture_on_commit_callbacks):
    settings.NATIONAL_SYNC_URL = ""
    dossier = DossierFactory(received=True)
    with django_capture_on_commit_callbacks(execute=True):
        event_append(dossier=dossier, action="receive", from_state="submitted", to_state="received")
    assert not SyncRecord.objects.exists()
