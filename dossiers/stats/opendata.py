"""Open data (dữ liệu mở): the public statistics, the service-quality index and the procedure
catalogue as CSV and JSON at stable URLs (``/du-lieu-mo/<file>``), with a DCAT-style catalogue
(``catalog.json``: title, description, licence, update date, distributions). The licence is
the setting ``OPEN_DATA_LICENSE`` (its address) and ``OPEN_DATA_LICENSE_NAME``.

``opendata_publish`` (beat, nightly after the roll-up) writes every file into the default
storage under ``opendata/``; the public views serve them from there (and publish them first
when nothing has been published yet). The figures are those of the public page and of the
index: the last 12 months, per agency, from the roll-up.
"""

import csv
import datetime as dt
import io
import json

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from dossiers.stats import index as quality_index
from dossiers.stats import service
from procedures import selectors as procedure_selectors

PREFIX = "opendata/"
MONTHS = 12

STATS_COLUMNS = [
    "thang",
    "ma_co_quan",
    "ten_co_quan",
    "tiep_nhan",
    "tiep_nhan_truc_tuyen",
    "da_giai_quyet",
    "giai_quyet_qua_han",
    "ty_le_dung_han",
    "ty_le_truc_tuyen",
    "ty_le_hai_long",
]
INDEX_COLUMNS = [
    "ky",
    "ma_co_quan",
    "ten_co_quan",
    "tong_diem",
    "diem_toi_da_co_so_lieu",
    "cong_khai_minh_bach",
    "tien_do_giai_quyet",
    "so_hoa_ho_so",
    "dich_vu_truc_tuyen",
    "muc_do_hai_long",
]
CATALOGUE_COLUMNS = ["ma_thu_tuc", "ten_thu_tuc", "linh_vuc", "muc_do", "nop_truc_tuyen", "thoi_han", "don_vi_thoi_han"]
PROVINCE_CODE = "TOAN_TINH"

DATASETS = {
    "thong-ke": {
        "title": "Tình hình giải quyết thủ tục hành chính theo tháng",
        "description": "Số hồ sơ tiếp nhận, đã giải quyết, quá hạn, tỷ lệ đúng hạn, tỷ lệ trực tuyến và tỷ lệ hài lòng "
        "của từng cơ quan trong 12 tháng gần nhất.",
        "columns": STATS_COLUMNS,
    },
    "chi-so-766": {
        "title": "Bộ chỉ số chất lượng phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg)",
        "description": "Điểm theo năm nhóm chỉ số của toàn tỉnh và từng cơ quan, theo tháng, trong 12 tháng gần nhất.",
        "columns": INDEX_COLUMNS,
    },
    "thu-tuc": {
        "title": "Danh mục thủ tục hành chính",
        "description": "Các thủ tục hành chính đang có hiệu lực: mã, tên, lĩnh vực, mức độ dịch vụ công trực tuyến, "
        "thời hạn giải quyết.",
        "columns": CATALOGUE_COLUMNS,
    },
}


def _months(today: dt.date) -> list[dt.date]:
    month, out = today.replace(day=1), []
    for _n in range(MONTHS):
        out.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return sorted(out)


def stats_records(*, today: dt.date) -> list[dict]:
    tree = service.agency_tree()
    records = []
    for month in _months(today):
        last = min((month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1), today)
        rows = service.stats_rows(scope=service.Scope(), first_day=month, last_day=last)
        for agency_id, f in sorted(service.group(rows, lambda r: r["agency_id"]).items()):
            if agency_id not in tree:
                continue
            records.append(
                dict(
                    zip(
                        STATS_COLUMNS,
                        [
                            month.strftime("%Y-%m"),
                            tree[agency_id]["code"],
                            tree[agency_id]["name"],
                            f["received"],
                            f["received_online"],
                            f["resolved"],
                            f["resolved_late"],
                            f["on_time_rate"],
                            f["online_share"],
                            f["satisfaction_rate"],
                        ],
                        strict=True,
                    )
                )
            )
    return records


def _index_record(key: str, code: str, name: str, result: dict) -> dict:
    points = [g["points"] for g in result["groups"]]
    return dict(
        zip(INDEX_COLUMNS, [key, code, name, result["total"], result["max_points_scored"], *points], strict=True)
    )


def index_records(*, today: dt.date) -> list[dict]:
    tree = service.agency_tree()
    records = []
    for month in _months(today):
        period = quality_index.period_parse(month.strftime("%Y-%m"), today=today)
        try:
            whole = quality_index.index_compute(agency_ids=None, period=period)
        except quality_index.BadPeriod:
            continue
        records.append(_index_record(period.key, PROVINCE_CODE, "Toàn tỉnh", whole))
        for agency_id, result in sorted(quality_index.index_by_agency(agency_ids=None, period=period).items()):
            if agency_id in tree:
                records.append(_index_record(period.key, tree[agency_id]["code"], tree[agency_id]["name"], result))
    return records


def catalogue_records(*, today: dt.date) -> list[dict]:
    versions = (
        procedure_selectors.procedure_versions_in_force(on=today)
        .select_related("procedure", "procedure__sector")
        .order_by("procedure__code")
    )
    return [
        dict(
            zip(
                CATALOGUE_COLUMNS,
                [
                    v.procedure.code,
                    v.name,
                    v.procedure.sector.name if v.procedure.sector_id else "",
                    v.service_level,
                    v.channel_online,
                    v.processing_time,
                    v.processing_time_unit,
                ],
                strict=True,
            )
        )
        for v in versions
    ]


def _csv(columns: list[str], records: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    # With a byte-order mark, spreadsheet programs read the Vietnamese text as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode()


def _json(name: str, columns: list[str], records: list[dict], modified: str) -> bytes:
    return json.dumps(
        {
            "dataset": name,
            "title": DATASETS[name]["title"],
            "modified": modified,
            "columns": columns,
            "records": records,
        },
        ensure_ascii=False,
        indent=1,
    ).encode()


# The terms of use of state open data (Decree 47/2020/NĐ-CP, Article 18, in force from 25 May
# 2020; whether the Law on Data of 2024 changed them was not checked), said beside the licence.
TERMS = (
    "Được tự do sao chép, chia sẻ, sử dụng, kết hợp với dữ liệu khác, kể cả cho mục đích thương mại; phải ghi "
    "nguồn (Điều 18 Nghị định 47/2020/NĐ-CP)."
)


def licence() -> dict:
    """The open data's licence from the settings: its address and its name."""
    return {"url": settings.OPEN_DATA_LICENSE, "name": settings.OPEN_DATA_LICENSE_NAME}


def catalogue_document(*, modified: str, base_url: str) -> dict:
    """The DCAT-style catalogue (JSON-LD with the dcat and dct vocabularies)."""
    licence_url = settings.OPEN_DATA_LICENSE
    rights = f"{settings.OPEN_DATA_LICENSE_NAME}. {TERMS}"
    return {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/"},
        "@type": "dcat:Catalog",
        "dct:title": f"Dữ liệu mở — {settings.PORTAL_NAME}",
        "dct:description": "Số liệu thống kê công khai, Bộ chỉ số 766 và danh mục thủ tục hành chính của cổng.",
        "dct:license": licence_url,
        "dct:rights": rights,
        "dct:modified": modified,
        "dcat:dataset": [
            {
                "@type": "dcat:Dataset",
                "dct:identifier": name,
                "dct:title": meta["title"],
                "dct:description": meta["description"],
                "dct:license": licence_url,
                "dct:rights": rights,
                "dct:modified": modified,
                "dcat:distribution": [
                    {
                        "@type": "dcat:Distribution",
                        "dct:format": fmt.upper(),
                        "dcat:mediaType": media,
                        "dcat:downloadURL": f"{base_url}/du-lieu-mo/{name}.{fmt}",
                    }
                    for fmt, media in (("csv", "text/csv"), ("json", "application/json"))
                ],
            }
            for name, meta in DATASETS.items()
        ],
    }


def _write(name: str, content: bytes) -> None:
    path = PREFIX + name
    if default_storage.exists(path):
        default_storage.delete(path)
    default_storage.save(path, ContentFile(content))


def opendata_publish(*, today: dt.date | None = None) -> list[str]:
    """Write every open-data file (idempotent: each run replaces the files); returns their names."""
    today = today or timezone.localdate()
    modified = timezone.localtime().isoformat(timespec="seconds")
    builders = {"thong-ke": stats_records, "chi-so-766": index_records, "thu-tuc": catalogue_records}
    written = []
    for name, build in builders.items():
        records = build(today=today)
        columns = DATASETS[name]["columns"]
        _write(f"{name}.csv", _csv(columns, records))
        _write(f"{name}.json", _json(name, columns, records, modified))
        written += [f"{name}.csv", f"{name}.json"]
    document = catalogue_document(modified=modified, base_url=settings.SITE_URL.rstrip("/"))
    _write("catalog.json", json.dumps(document, ensure_ascii=False, indent=1).encode())
    return [*written, "catalog.json"]


FILES = {
    **{
        f"{name}.{fmt}": media
        for name in DATASETS
        for fmt, media in (("csv", "text/csv"), ("json", "application/json"))
    },
    "catalog.json": "application/ld+json",
}


def opendata_read(name: str) -> bytes | None:
    """The published file (publishing first when it has never been); None for an unknown name."""
    if name not in FILES:
        return None
    path = PREFIX + name
    if not default_storage.exists(path):
        opendata_publish()
    with default_storage.open(path, "rb") as handle:
        return handle.read()
