"""Digitisation (số hóa) per dossier document: who digitised it and when, whether it was reused
from the applicant's store or taken from a national database, whether the result was issued
electronically; carried in the national sync message and counted as a rate."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from dossiers import services
from dossiers.constants import DocumentReuse, ResultStatus
from dossiers.models import Dossier, DossierDocument, DossierResult
from dossiers.stats.digitisation import digitisation_figures
from portal.services.national_sync import dossier_sync_message
from tests.dossiers.factories import (
    DossierDocumentFactory,
    DossierFactory,
    OnlineVersionFactory,
    StoredDocumentFactory,
    make_pdf,
)

pytestmark = pytest.mark.django_db
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_uploaded_and_reused_documents_are_digitised_and_travel_in_the_sync_message(citizen):
    version = OnlineVersionFactory()
    requirement = version.documents.get()
    draft = services.dossier_draft_create(user=citizen, procedure_code=version.procedure.code)
    services.dossier_draft_update(user=citizen, dossier=draft, data={"full_name": "Nguyễn Văn An"})
    before = timezone.now()
    services.dossier_document_upload(
        user=citizen, dossier=draft, requirement_id=requirement.pk, name="to-khai.pdf", content=make_pdf()
    )
    uploaded = DossierDocument.objects.get(dossier=draft, superseded_at__isnull=True)
    assert uploaded.digitised_by == citizen and uploaded.digitised_at >= before
    assert uploaded.reuse == DocumentReuse.NONE

    # The same component reused from the store instead (once-only): the upload is superseded.
    stored = StoredDocumentFactory(owner=citizen)
    services.dossier_document_from_store(
        user=citizen, dossier=draft, requirement_id=requirement.pk, stored_id=stored.pk
    )
    reused = DossierDocument.objects.get(dossier=draft, superseded_at__isnull=True)
    assert reused.reuse == DocumentReuse.STORE and reused.digitised_by == citizen

    dossier, _pin = services.dossier_submit(user=citizen, dossier_id=draft.pk, declaration=True)
    message = dossier_sync_message(Dossier.objects.get(pk=dossier.pk))
    assert message["HoSoCoThanhPhanSoHoa"] == 1
    assert [(d["DuocSoHoa"], d["DuocTaiSuDung"], d["DuocLayTuKhoDMQG"]) for d in message["TaiLieuNop"]] == [(1, 1, 0)]


def test_a_document_from_a_national_database_and_an_electronic_result_are_flagged():
    dossier = DossierFactory()
    DossierDocumentFactory(dossier=dossier, reuse=DocumentReuse.NATIONAL, digitised_at=timezone.now())
    DossierDocumentFactory(dossier=dossier, digitisation_exempt="Bản chính chỉ xuất trình để đối chiếu")
    DossierResult.objects.create(
        dossier=dossier,
        number=1,
        code=f"{dossier.code}-KQ1",
        title="Giấy khai sinh",
        stored=StoredDocumentFactory(owner=dossier.applicant),
        status=ResultStatus.FINAL,
    )
    message = dossier_sync_message(dossier)
    flags = sorted((d["DuocSoHoa"], d["DuocLayTuKhoDMQG"]) for d in message["TaiLieuNop"])
    assert flags == [(0, 0), (1, 1)]
    assert message["HoSoCoThanhPhanSoHoa"] == 1
    assert message["DanhSachGiayToKetQua"] == [
        {
            "MaKetQua": f"{dossier.code}-KQ1",
            "MaGiayToKetQua": f"{dossier.code}-KQ1",
            "TenGiayTo": "Giấy khai sinh",
            "KetQuaDienTu": 1,
        }
    ]


def test_the_digitisation_rate_leaves_out_the_exempt_documents():
    received = dt.datetime(2026, 11, 10, 9, tzinfo=HCM)
    dossier = DossierFactory(received_at=received)
    agency_id = dossier.receiving_agency_id
    now = timezone.now()
    DossierDocumentFactory(dossier=dossier, digitised_at=now)
    DossierDocumentFactory(dossier=dossier, digitised_at=now, reuse=DocumentReuse.STORE)
    DossierDocumentFactory(dossier=dossier)  # neither digitised nor exempt: counts against the rate
    DossierDocumentFactory(dossier=dossier, digitisation_exempt="Chỉ xuất trình để đối chiếu")
    DossierDocumentFactory(dossier=DossierFactory(received_at=received - dt.timedelta(days=30)), digitised_at=now)
    figures = digitisation_figures(
        agency_ids=[agency_id],
        start=dt.datetime(2026, 11, 1, tzinfo=HCM),
        end=dt.datetime(2026, 12, 1, tzinfo=HCM),
    )
    assert (figures["documents"], figures["digitised"], figures["exempt"], figures["reused_store"]) == (4, 2, 1, 1)
    assert figures["digitisation_rate"] == 66.7
    assert figures["electronic_result_rate"] is None
