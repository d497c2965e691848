"""National public-service portal (Cổng DVC quốc gia) / LGSP dossier sync.

`dossier_sync_message` turns a dossier into the national portal's dossier-sync message
(``MaHoSo``, ``MaTTHC``, ``TrangThaiHoSo`` 1–10, ``HinhThuc`` 1/2/3…, dates as
``yyyyMMddHHmmss`` in local time). Each status change records a `SyncRecord` with the message
of that moment and pushes it to ``NATIONAL_SYNC_URL`` (bearer ``NATIONAL_SYNC_TOKEN``); a
failed push is tried again with exponential backoff for 24 hours. Disabled while the URL is
empty. The supplement history's old and new appointment dates come from the messages
recorded when the supplement was requested and answered.

Digitisation (số hóa) travels in the national portal's fields: per submitted document
``DuocSoHoa`` (digitised), ``DuocTaiSuDung`` (reused from the applicant's store),
``DuocLayTuKhoDMQG`` (taken from a national database), and ``HoSoCoThanhPhanSoHoa`` for the
dossier; per result ``KetQuaDienTu`` (issued electronically, with its signed file).
"""

import json
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.models import SyncRecord, SyncState

SYNC_TIMEOUT = 15
SYNC_RETRY_WINDOW = timedelta(hours=24)
SYNC_FIRST_DELAY = 60
SYNC_MAX_DELAY = 6 * 3600
CHANNEL_NUMBER = {"counter": 1, "online": 2, "post": 3}
# LoaiDoiTuong: 1 citizen (công dân), 2 organisation or business (tổ chức, doanh nghiệp).
APPLICANT_KIND_CITIZEN, APPLICANT_KIND_ORGANISATION = 1, 2


def national_sync_enabled() -> bool:
    return bool(settings.NATIONAL_SYNC_URL)


def sync_date(value: datetime | None) -> str:
    """``yyyyMMddHHmmss`` in the portal's local time (Asia/Ho_Chi_Minh); empty when unknown."""
    return timezone.localtime(value).strftime("%Y%m%d%H%M%S") if value else ""


def _parse_iso(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _supplement_history(dossier, events) -> list[dict]:
    """Each supplement round: request, answer, appointment before and after."""
    due_by_source = {
        r.source: r.message.get("NgayHenTra", "")
        for r in SyncRecord.objects.filter(dossier_id=dossier.pk).only("source", "message")
    }
    rounds: list[dict] = []
    for event in events:
        if event.action == "request_supplement":
            items = (event.payload or {}).get("items") or []
            reasons = [str(i.get("reason", "")) for i in items if isinstance(i, dict)]
            # The message written to the applicant, never the officer's internal note (the rule of
            # dossiers.core.notes for this row: before the two were told apart, the note was it).
            message = event.note if event.public_note is None else event.public_note
            rounds.append(
                {
                    "NgayYeuCauBoSung": sync_date(event.created_at),
                    "NoiDungYeuCauBoSung": "; ".join(filter(None, [message, *reasons])),
                    "NgayBoSung": "",
                    "NgayHenTraCu": due_by_source.get(f"event:{event.pk}", ""),
                    "NgayHenTraMoi": "",
                }
            )
        elif event.action == "supplement_submitted" and rounds and not rounds[-1]["NgayBoSung"]:
            rounds[-1]["NgayBoSung"] = sync_date(event.created_at)
            rounds[-1]["NgayHenTraMoi"] = due_by_source.get(f"event:{event.pk}", "")
    if rounds and rounds[-1]["NgayBoSung"] and not rounds[-1]["NgayHenTraMoi"]:
        rounds[-1]["NgayHenTraMoi"] = sync_date(dossier.due_at)
    return rounds


def dossier_sync_message(dossier) -> dict:
    """The dossier-sync message of ``dossier`` as it is now."""
    version = dossier.procedure_version
    procedure = dossier.procedure
    events = list(dossier.events.order_by("seq"))
    documents = [d for d in dossier.documents.select_related("stored").all() if d.superseded_at is None]
    payments = list(dossier.payments.all())
    results = [r for r in dossier.results.all() if r.status == "final"]
    fees = []
    for payment in payments:
        for item in payment.items or []:
            if isinstance(item, dict):
                fees.append(
                    {
                        "TenPhiLePhi": str(item.get("name") or item.get("label") or ""),
                        "MucPhi": item.get("amount", 0),
                        "TrangThaiThanhToan": 1 if payment.status == "paid" else 0,
                        "MaGiaoDich": payment.reference,
                        "NgayThanhToan": sync_date(payment.paid_at),
                    }
                )
    return {
        "MaHoSo": dossier.code or "",
        "MaTTHC": procedure.code,
        "TenTTHC": version.name,
        "MaLinhVuc": procedure.sector.code,
        "TenLinhVuc": procedure.sector.name,
        "ChuHoSo": dossier.applicant_name,
        "SoGiayToChuHoSo": dossier.applicant_id_number,
        "LoaiDoiTuong": APPLICANT_KIND_ORGANISATION if dossier.organisation_id else APPLICANT_KIND_CITIZEN,
        "DiaChiChuHoSo": dossier.applicant_address,
        "SoDienThoai": dossier.applicant_phone,
        "Email": dossier.applicant_email,
        "NgayNopHoSo": sync_date(dossier.submitted_at),
        "NgayTiepNhan": sync_date(dossier.received_at or dossier.submitted_at),
        "NgayHenTra": sync_date(dossier.due_at),
        "NgayHenTraBanDau": sync_date(dossier.original_due_at),
        "TrangThaiHoSo": dossier.status_code,
        "NgayXuLyXong": sync_date(dossier.resolved_at),
        "NgayTra": sync_date(dossier.returned_at),
        "HinhThuc": CHANNEL_NUMBER.get(dossier.channel, 2),
        "DonViXuLy": dossier.receiving_agency.name,
        "MaDonViXuLy": dossier.receiving_agency.code,
        "KetQuaXuLy": dossier.outcome,
        "PhiLePhi": fees,
        "TongPhiLePhi": sum(p.amount for p in payments if p.status == "paid"),
        "TaiLieuNop": [
            {
                "TenThanhPhan": d.component_name,
                "TenTepDinhKem": d.stored.name,
                "BanChinh": 1 if d.is_original else 0,
                "SoLuong": d.copies,
                "MaHash": d.stored.sha256,
                "DuocSoHoa": 1 if d.digitised_at is not None else 0,
                "DuocTaiSuDung": 1 if d.reuse == "store" else 0,
                "DuocLayTuKhoDMQG": 1 if d.reuse == "national" else 0,
            }
            for d in documents
        ],
        "HoSoCoThanhPhanSoHoa": 1 if any(d.digitised_at is not None for d in documents) else 0,
        "DanhSachHoSoBoSung": _supplement_history(dossier, events),
        "DanhSachGiayToKetQua": [
            {
                "MaKetQua": r.code,
                "MaGiayToKetQua": r.code,
                "TenGiayTo": r.title,
                "KetQuaDienTu": 1 if r.stored_id else 0,
            }
            for r in results
        ],
    }


def sync_record_create(*, dossier, source: str) -> SyncRecord | None:
    """Record the message of this moment for a status change (once per ``source``)."""
    if not national_sync_enabled() or not dossier.code:
        return None
    now = timezone.now()
    record = SyncRecord(
        dossier_id=dossier.pk,
        dossier_code=dossier.code,
        source=source,
        status_code=dossier.status_code,
        message=json.loads(json.dumps(dossier_sync_message(dossier), cls=DjangoJSONEncoder)),
        created_at=now,
        next_attempt_at=now,
    )
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        return None
    return record


def sync_next_delay(attempts: int) -> int:
    return min(SYNC_FIRST_DELAY * 2 ** max(attempts - 1, 0), SYNC_MAX_DELAY)


def sync_record_push(*, record_id: int, now=None) -> str:
    """Push one record once; return its state. A record already sent or given up is left alone."""
    with transaction.atomic():
        record = SyncRecord.objects.select_for_update().filter(pk=record_id).first()
        if record is None:
            return "missing"
        if record.state in (SyncState.SENT, SyncState.FAILED):
            return record.state
        now = now or timezone.now()
        record.attempts += 1
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if settings.NATIONAL_SYNC_TOKEN:
            headers["Authorization"] = f"Bearer {settings.NATIONAL_SYNC_TOKEN}"
        body = json.dumps({"data": [record.message]}, ensure_ascii=False).encode()
        record.response_code, record.error = None, ""
        try:
            response = requests.post(settings.NATIONAL_SYNC_URL, data=body, headers=headers, timeout=SYNC_TIMEOUT)
            record.response_code = response.status_code
            record.response_body = response.text[:1000]
        except requests.RequestException as exc:
            record.error = f"{type(exc).__name__}: {exc}"[:500]
        if record.response_code is not None and 200 <= record.response_code < 300:
            record.state, record.sent_at, record.next_attempt_at = SyncState.SENT, now, None
        else:
            next_at = now + timedelta(seconds=sync_next_delay(record.attempts))
            if next_at > record.created_at + SYNC_RETRY_WINDOW:
                record.state, record.next_attempt_at = SyncState.FAILED, None
            else:
                record.state, record.next_attempt_at = SyncState.RETRYING, next_at
        record.save()
        return record.state


def sync_records_due(*, now=None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    return list(
        SyncRecord.objects.filter(state__in=[SyncState.PENDING, SyncState.RETRYING], next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
