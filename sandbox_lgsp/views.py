"""A sandbox LGSP with the two national databases behind it (population, business registry),
speaking the portal's once-only protocol (`portal.national_data`) from the other side: it checks
the client, the HMAC signature and the timestamp (five minutes either way), then answers from
its fixed demo records. Every answer says ``"sandbox": true``.

The population database also hands out two documents of a person (``/population/document``): a
confirmation of residence information (``xacNhanCuTru``) and a birth record extract
(``trichLucKhaiSinh``), rendered to PDF from the record and marked as sandbox samples on the page.
"""

import base64
import hmac
import json
import time

from django.conf import settings
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dossiers.pdf import render_pdf
from portal.national_data import signature

MAX_SKEW_SECONDS = 300
POPULATION = {
    "001203004567": {
        "hoVaTen": "Nguyễn Văn An",
        "ngaySinh": "2003-05-12",
        "gioiTinh": "male",
        "noiThuongTru": "12 Lê Lợi, phường Bến Thành, Thành phố Hồ Chí Minh",
        "quanHe": "Cha: Nguyễn Văn Cường; Mẹ: Lê Thị Dung",
    },
    "079190001234": {
        "hoVaTen": "Trần Thị Bình",
        "ngaySinh": "1990-02-03",
        "gioiTinh": "female",
        "noiThuongTru": "45 Nguyễn Huệ, phường Sài Gòn, Thành phố Hồ Chí Minh",
        "quanHe": "Chồng: Lê Văn Cảnh",
    },
}
BUSINESS = {
    "0100109106": {
        "tenDoanhNghiep": "Công ty TNHH Thử Nghiệm Sandbox",
        "diaChiTruSo": "1 Tràng Tiền, phường Hoàn Kiếm, Hà Nội",
        "nguoiDaiDien": "Phạm Văn Đức",
    },
}


def _verified(request) -> bool:
    headers = request.headers
    try:
        skew = abs(time.time() - int(headers.get("X-LGSP-Timestamp", "0")))
    except ValueError:
        return False
    expected = signature(
        secret=settings.LGSP_SECRET,
        timestamp=headers.get("X-LGSP-Timestamp", ""),
        nonce=headers.get("X-LGSP-Nonce", ""),
        body=request.body,
    )
    return (
        skew <= MAX_SKEW_SECONDS
        and hmac.compare_digest(headers.get("X-LGSP-Client", ""), settings.LGSP_CLIENT_ID)
        and hmac.compare_digest(headers.get("X-LGSP-Signature", ""), expected)
    )


def _lookup(request, records: dict):
    if not _verified(request):
        return JsonResponse({"status": "refused", "sandbox": True}, status=401)
    try:
        query = json.loads(request.body)
        key, fields = str(query["key"]), list(query["fields"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"status": "bad_request", "sandbox": True}, status=400)
    record = records.get(key)
    if record is None:
        return JsonResponse({"status": "not_found", "sandbox": True})
    return JsonResponse({"status": "found", "sandbox": True, "record": {f: record[f] for f in fields if f in record}})


POPULATION_DOCUMENTS = {
    "xacNhanCuTru": "Giấy xác nhận thông tin về cư trú",
    "trichLucKhaiSinh": "Trích lục khai sinh",
}
ISSUER = "Cơ sở dữ liệu quốc gia về dân cư (thử nghiệm)"


@csrf_exempt
@require_POST
def population_document(request):
    if not _verified(request):
        return JsonResponse({"status": "refused", "sandbox": True}, status=401)
    try:
        query = json.loads(request.body)
        key, kind = str(query["key"]), str(query["document"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"status": "bad_request", "sandbox": True}, status=400)
    record, title = POPULATION.get(key), POPULATION_DOCUMENTS.get(kind)
    if record is None or title is None:
        return JsonResponse({"status": "not_found", "sandbox": True})
    issued_at = timezone.localdate().isoformat()
    pdf = render_pdf(
        "sandbox_lgsp/document.html",
        {"title": title, "issuer": ISSUER, "record": record, "key": key, "issued_at": issued_at},
    )
    document = {
        "title": title,
        "issuer": ISSUER,
        "issued_at": issued_at,
        "mime_type": "application/pdf",
        "content": base64.b64encode(pdf).decode(),
    }
    return JsonResponse({"status": "found", "sandbox": True, "document": document})


@csrf_exempt
@require_POST
def population(request):
    return _lookup(request, POPULATION)


@csrf_exempt
@require_POST
def business(request):
    return _lookup(request, BUSINESS)


app_name = "sandbox_lgsp"
urlpatterns = [
    path("population/lookup", population, name="population"),
    path("population/document", population_document, name="population_document"),
    path("business/lookup", business, name="business"),
]
