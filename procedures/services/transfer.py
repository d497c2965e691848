"""Import and export of the whole catalogue as one JSON document.

The file holds the fields (lĩnh vực) and every procedure with the content of its current
published version: applicants, level, channels, time, fees, document components (their
template files inline, base64), form schema, workflow and legal basis. Agencies are referred
to by unit code and must already exist.

An import is checked in full before anything is written; every problem names the procedure
and the field. Then it runs in one transaction: all of it is saved, or none. A procedure whose
content is unchanged keeps its version; a changed one gets a new published version (or a draft).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.national_data import NATIONAL_DOCUMENTS
from procedures.constants import (
    DEFAULT_DOCUMENT_MAX_SIZE,
    ApplicantType,
    Channel,
    FeeCollection,
    LegacyLevel,
    ProcessingTimeUnit,
    ServiceLevel,
    VersionStatus,
)
from procedures.form_schema import form_schema_validate
from procedures.models import Agency, DocumentRequirement, Fee, Procedure, ProcedureVersion, Sector
from procedures.services.versions import procedure_version_publish
from procedures.workflow_template import workflow_steps_validate

FORMAT = "cong-dich-vu-cong/catalogue"
FORMAT_VERSION = 1
MAX_IMPORT_BYTES = 50 * 1024 * 1024
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
MAX_DOCUMENT_SIZE = 100 * 1024 * 1024
CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-_]{0,31}$")
MIME_RE = re.compile(r"^[a-z]+/[a-z0-9][a-z0-9.+\-]*$")
FILENAME_RE = re.compile(r"^[\w\-. ]{1,120}\.[A-Za-z0-9]{1,8}$")

PROCEDURE_KEYS = {
    "code",
    "name",
    "name_en",
    "summary_en",
    "sector",
    "agencies",
    "is_active",
    "effective_date",
    "applicant_types",
    "service_level",
    "legacy_level",
    "channels",
    "processing_time",
    "processing_time_unit",
    "processing_time_note",
    "steps_text",
    "conditions",
    "result_place",
    "legal_basis",
    "result_types",
    "fees",
    "documents",
    "form",
    "workflow",
}
DOCUMENT_KEYS = {
    "name",
    "description",
    "originals",
    "copies",
    "required",
    "accepted_types",
    "max_size",
    "reusable",
    "from_form",
    "national_document",
    "template",
}


@dataclass(frozen=True)
class ImportProblem:
    procedure: str | None
    field: str
    message: str

    def __str__(self) -> str:
        if self.procedure:
            return _("Thủ tục %(procedure)s, trường %(field)s: %(message)s") % {
                "procedure": self.procedure,
                "field": self.field,
                "message": self.message,
            }
        return _("Trường %(field)s: %(message)s") % {"field": self.field, "message": self.message}


class CatalogueImportError(Exception):
    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:20]))

    @property
    def messages(self) -> list[str]:
        return [str(p) for p in self.problems]


@dataclass
class ImportResult:
    sectors: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return _("%(sectors)s lĩnh vực; thủ tục: %(created)s mới, %(updated)s cập nhật, %(unchanged)s không đổi.") % {
            "sectors": self.sectors,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
        }


# --- export ----------------------------------------------------------------------------------


def _national_document(check, item: dict, path: str) -> str:
    value = check.text(item, "national_document", max_length=40, path=path)
    if value and value not in NATIONAL_DOCUMENTS:
        check.add(path + "national_document", _("không phải giấy tờ mà CSDL quốc gia cung cấp."))
        return ""
    return value


def _template_dict(document: DocumentRequirement, *, raw: bool) -> dict | None:
    if not document.template:
        return None
    with document.template.open("rb") as fh:
        content = fh.read()
    if raw:
        return {"filename": document.template_filename, "content": content}
    return {"filename": document.template_filename, "content_base64": base64.b64encode(content).decode("ascii")}


def version_content(version: ProcedureVersion, *, raw_templates: bool = False) -> dict:
    """The import-format content of one version (without the procedure's identity fields)."""
    applicants = [
        value
        for value, on in (
            (ApplicantType.CITIZEN, version.for_citizens),
            (ApplicantType.ORGANISATION, version.for_organisations),
        )
        if on
    ]
    channels = [
        value
        for value, on in (
            (Channel.ONLINE, version.channel_online),
            (Channel.IN_PERSON, version.channel_in_person),
            (Channel.POST, version.channel_post),
        )
        if on
    ]
    return {
        "name": version.name,
        "name_en": version.name_en,
        "summary_en": version.summary_en,
        "applicant_types": [str(a) for a in applicants],
        "service_level": version.service_level,
        "legacy_level": version.legacy_level,
        "channels": [str(c) for c in channels],
        "processing_time": version.processing_time,
        "processing_time_unit": version.processing_time_unit,
        "processing_time_note": version.processing_time_note,
        "steps_text": version.steps_text,
        "conditions": version.conditions,
        "result_place": version.result_place,
        "legal_basis": version.legal_basis,
        "result_types": version.result_types,
        "fees": [
            {
                "amount": fee.amount,
                "description": fee.description,
                "collected_at": fee.collected_at,
                "quantity_field": fee.quantity_field,
                "quantity_free": fee.quantity_free,
                "quantity_max": fee.quantity_max,
                "per_field": fee.per_field,
                "condition_field": fee.condition_field,
                "condition_value": fee.condition_value,
            }
            for fee in version.fees.all()
        ],
        "documents": [
            {
                "name": doc.name,
                "description": doc.description,
                "originals": doc.originals,
                "copies": doc.copies,
                "required": doc.required,
                "accepted_types": doc.accepted_types,
                "max_size": doc.max_size,
                "reusable": doc.reusable,
                "from_form": doc.from_form,
                "national_document": doc.national_document,
                "template": _template_dict(doc, raw=raw_templates),
            }
            for doc in version.documents.all()
        ],
        "form": version.form_schema or {"fields": []},
        "workflow": version.workflow_steps,
    }


def _latest_published(procedure: Procedure) -> ProcedureVersion | None:
    today = timezone.localdate()
    published = procedure.versions.filter(status=VersionStatus.PUBLISHED)
    return (
        published.filter(effective_date__lte=today).order_by("-effective_date", "-number").first()
        or published.order_by("-effective_date", "-number").first()
    )


def catalogue_export() -> dict:
    """The whole published catalogue as one JSON-serialisable document."""
    procedures = []
    for procedure in Procedure.objects.select_related("sector").prefetch_related("agencies").order_by("code"):
        version = _latest_published(procedure)
        if version is None:
            continue
        procedures.append(
            {
                "code": procedure.code,
                "sector": procedure.sector.code,
                "agencies": sorted(a.code for a in procedure.agencies.all()),
                "is_active": procedure.is_active,
                "effective_date": version.effective_date.isoformat(),
                **version_content(version),
            }
        )
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.localtime().isoformat(timespec="seconds"),
        "sectors": [{"code": s.code, "name": s.name} for s in Sector.objects.order_by("code")],
        "procedures": procedures,
    }


def catalogue_export_json() -> str:
    return json.dumps(catalogue_export(), ensure_ascii=False, indent=2)


# --- checking --------------------------------------------------------------------------------


class _Checker:
    """Collects problems for one procedure entry while normalising it."""

    def __init__(self, label: str | None, problems: list[ImportProblem]):
        self.label, self.problems = label, problems

    def add(self, path: str, message: str) -> None:
        self.problems.append(ImportProblem(self.label, path, message))

    def text(self, data: dict, key: str, *, required: bool = False, max_length: int = 10_000, path: str = "") -> str:
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.add(path + key, _("phải là chuỗi ký tự."))
            return ""
        value = value.strip()
        if required and not value:
            self.add(path + key, _("không được để trống."))
        if len(value) > max_length:
            self.add(path + key, _("dài quá %(max)s ký tự.") % {"max": max_length})
        return value

    def integer(self, data: dict, key: str, *, default: int, low: int = 0, high: int = 10**12, path: str = "") -> int:
        value = data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            self.add(path + key, _("phải là số nguyên."))
            return default
        if value < low:
            if key == "amount":
                self.add(path + key, _("phí, lệ phí không được âm."))
            else:
                self.add(path + key, _("không được nhỏ hơn %(low)s.") % {"low": low})
        elif value > high:
            self.add(path + key, _("không được lớn hơn %(high)s.") % {"high": high})
        return value

    def boolean(self, data: dict, key: str, *, default: bool, path: str = "") -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.add(path + key, _("phải là true hoặc false."))
            return default
        return value

    def choice(self, data: dict, key: str, choices, *, default=None, path: str = ""):
        value = data.get(key, default)
        if value not in choices:
            self.add(
                path + key,
                _("giá trị “%(value)s” không hợp lệ; chấp nhận: %(choices)s.")
                % {"value": str(value)[:50], "choices": ", ".join(str(c) for c in choices)},
            )
        return value

    def subset(self, data: dict, key: str, choices) -> list[str]:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            self.add(key, _("phải là danh sách khác rỗng, gồm: %(choices)s.") % {"choices": ", ".join(choices)})
            return []
        for item in value:
            if item not in choices:
                self.add(key, _("giá trị “%(value)s” không hợp lệ.") % {"value": str(item)[:50]})
        return list(dict.fromkeys(value))

    def date(self, value: Any, path: str) -> str | None:
        if value in (None, ""):
            return None
        try:
            return dt.date.fromisoformat(value).isoformat()
        except (TypeError, ValueError):
            self.add(path, _("ngày phải theo định dạng YYYY-MM-DD."))
            return None

    def objects(self, data: dict, key: str) -> list[tuple[str, dict]]:
        value = data.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(key, _("phải là danh sách."))
            return []
        result = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.add(f"{key}[{i}]", _("phải là một đối tượng JSON."))
                continue
            result.append((f"{key}[{i}].", item))
        return result


def _check_template(check: _Checker, value: Any, path: str) -> dict | None:
    if value in (None, ""):
        return None
    if not isinstance(value, dict) or set(value) - {"filename", "content_base64"}:
        check.add(path, _('phải có dạng {"filename": ..., "content_base64": ...}.'))
        return None
    filename = value.get("filename")
    if not isinstance(filename, str) or not FILENAME_RE.match(filename) or ".." in filename:
        check.add(path + ".filename", _("tên tệp không hợp lệ."))
        return None
    try:
        content = base64.b64decode(value.get("content_base64") or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        check.add(path + ".content_base64", _("nội dung base64 không hợp lệ."))
        return None
    if not content:
        check.add(path + ".content_base64", _("tệp mẫu rỗng."))
    elif len(content) > MAX_TEMPLATE_BYTES:
        check.add(path + ".content_base64", _("tệp mẫu lớn quá 5 MB."))
    return {"filename": filename, "content": content}


def _check_procedure(entry: Any, index: int, sectors: set[str], agencies: dict[str, int], problems) -> dict | None:
    if not isinstance(entry, dict):
        problems.append(ImportProblem(f"#{index + 1}", "", _("mỗi thủ tục phải là một đối tượng JSON.")))
        return None
    code = entry.get("code")
    label = f"{code}" if isinstance(code, str) and code else f"#{index + 1}"
    if isinstance(entry.get("name"), str) and entry["name"].strip():
        label = f"{label} ({entry['name'].strip()[:80]})"
    check = _Checker(label, problems)
    for key in sorted(set(entry) - PROCEDURE_KEYS):
        check.add(str(key)[:60], _("thuộc tính không được hỗ trợ."))
    if not isinstance(code, str) or not CODE_RE.match(code):
        check.add("code", _("mã thủ tục là bắt buộc, chỉ gồm chữ, số, dấu chấm, gạch ngang, tối đa 32 ký tự."))
    clean: dict[str, Any] = {"code": code}
    clean["name"] = check.text(entry, "name", required=True, max_length=500)
    clean["name_en"] = check.text(entry, "name_en", max_length=500)
    clean["summary_en"] = check.text(entry, "summary_en", max_length=2000)
    sector = entry.get("sector")
    if sector not in sectors:
        check.add("sector", _("lĩnh vực “%(code)s” không có trong danh mục.") % {"code": str(sector)[:50]})
    clean["sector"] = sector
    agency_codes = entry.get("agencies")
    if not isinstance(agency_codes, list) or not agency_codes or not all(isinstance(a, str) for a in agency_codes):
        check.add("agencies", _("cần danh sách mã cơ quan thực hiện."))
        agency_codes = []
    for agency_code in agency_codes:
        if agency_code not in agencies:
            check.add("agencies", _("không có cơ quan với mã đơn vị “%(code)s”.") % {"code": agency_code[:50]})
    clean["agencies"] = sorted(set(agency_codes))
    clean["is_active"] = check.boolean(entry, "is_active", default=True)
    clean["effective_date"] = check.date(entry.get("effective_date"), "effective_date")
    clean["applicant_types"] = check.subset(entry, "applicant_types", ApplicantType.values)
    clean["service_level"] = check.choice(entry, "service_level", ServiceLevel.values, default=ServiceLevel.PARTIAL)
    clean["legacy_level"] = check.choice(entry, "legacy_level", LegacyLevel.values, default=LegacyLevel.LEVEL_3)
    clean["channels"] = check.subset(entry, "channels", Channel.values)
    clean["processing_time"] = check.integer(entry, "processing_time", default=0, high=3650)
    clean["processing_time_unit"] = check.choice(
        entry, "processing_time_unit", ProcessingTimeUnit.values, default=ProcessingTimeUnit.WORKING_DAYS
    )
    clean["processing_time_note"] = check.text(entry, "processing_time_note", max_length=500)
    clean["steps_text"] = check.text(entry, "steps_text")
    clean["conditions"] = check.text(entry, "conditions")
    clean["result_place"] = check.text(entry, "result_place", max_length=500)
    clean["legal_basis"] = [
        {
            "number": check.text(item, "number", required=True, max_length=100, path=path),
            "title": check.text(item, "title", required=True, max_length=500, path=path),
            "date": check.date(item.get("date"), path + "date"),
        }
        for path, item in check.objects(entry, "legal_basis")
    ]
    clean["result_types"] = [
        {
            "name": check.text(item, "name", required=True, max_length=255, path=path),
            "electronic": check.boolean(item, "electronic", default=False, path=path),
            "signed": check.boolean(item, "signed", default=False, path=path),
        }
        for path, item in check.objects(entry, "result_types")
    ]
    fee_items = check.objects(entry, "fees")
    clean["fees"] = [
        {
            "amount": check.integer(item, "amount", default=0, high=10**12, path=path),
            "description": check.text(item, "description", required=True, max_length=500, path=path),
            "collected_at": check.choice(
                item, "collected_at", FeeCollection.values, default=FeeCollection.AT_SUBMISSION, path=path
            ),
            "quantity_field": check.text(item, "quantity_field", max_length=64, path=path),
            "quantity_free": check.integer(item, "quantity_free", default=0, high=1000, path=path),
            "quantity_max": (
                None
                if item.get("quantity_max") is None
                else check.integer(item, "quantity_max", default=0, low=1, high=10**6, path=path)
            ),
            "per_field": check.text(item, "per_field", max_length=64, path=path),
            "condition_field": check.text(item, "condition_field", max_length=64, path=path),
            "condition_value": check.text(item, "condition_value", max_length=100, path=path),
        }
        for path, item in fee_items
    ]
    for (path, _item), fee in zip(fee_items, clean["fees"], strict=True):
        # An item whose last charged unit comes before its first would never be charged.
        if fee["quantity_max"] is not None and fee["quantity_max"] <= fee["quantity_free"]:
            check.add(path + "quantity_max", _("phải lớn hơn số lượng không thu (quantity_free)."))
    documents = []
    for path, item in check.objects(entry, "documents"):
        for key in sorted(set(item) - DOCUMENT_KEYS):
            check.add(path + str(key)[:60], _("thuộc tính không được hỗ trợ."))
        accepted = item.get("accepted_types", [])
        if not isinstance(accepted, list) or not all(isinstance(m, str) and MIME_RE.match(m) for m in accepted):
            check.add(path + "accepted_types", _("phải là danh sách kiểu MIME, ví dụ application/pdf."))
            accepted = []
        documents.append(
            {
                "name": check.text(item, "name", required=True, max_length=500, path=path),
                "description": check.text(item, "description", path=path),
                "originals": check.integer(item, "originals", default=1, high=100, path=path),
                "copies": check.integer(item, "copies", default=0, high=100, path=path),
                "required": check.boolean(item, "required", default=True, path=path),
                "accepted_types": list(dict.fromkeys(accepted)),
                "max_size": check.integer(
                    item, "max_size", default=DEFAULT_DOCUMENT_MAX_SIZE, low=1, high=MAX_DOCUMENT_SIZE, path=path
                ),
                "reusable": check.boolean(item, "reusable", default=False, path=path),
                "from_form": check.boolean(item, "from_form", default=False, path=path),
                "national_document": _national_document(check, item, path),
                "template": _check_template(check, item.get("template"), path + "template"),
            }
        )
    clean["documents"] = documents
    try:
        clean["form"] = form_schema_validate(entry.get("form"))
    except ValidationError as error:
        for message in error.messages:
            check.add("form", message)
        clean["form"] = {"fields": []}
    try:
        clean["workflow"] = workflow_steps_validate(entry.get("workflow"))
    except ValidationError as error:
        for message in error.messages:
            check.add("workflow" + ("" if message.startswith("[") else ": "), message)
        clean["workflow"] = []
    return clean


def catalogue_check(data: Any) -> tuple[list[dict], list[dict]]:
    """Validate a whole import document; return (sectors, procedures) or raise CatalogueImportError."""
    problems: list[ImportProblem] = []
    if not isinstance(data, dict):
        raise CatalogueImportError([ImportProblem(None, "(tệp)", _("tệp phải là một đối tượng JSON."))])
    if data.get("format", FORMAT) != FORMAT:
        problems.append(ImportProblem(None, "format", _("không phải tệp danh mục thủ tục (%(f)s).") % {"f": FORMAT}))
    if data.get("format_version", FORMAT_VERSION) != FORMAT_VERSION:
        problems.append(ImportProblem(None, "format_version", _("phiên bản định dạng không được hỗ trợ.")))
    sectors = []
    raw_sectors = data.get("sectors", [])
    if not isinstance(raw_sectors, list):
        problems.append(ImportProblem(None, "sectors", _("phải là danh sách.")))
        raw_sectors = []
    for i, item in enumerate(raw_sectors):
        code = item.get("code") if isinstance(item, dict) else None
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(code, str) or not CODE_RE.match(code):
            problems.append(ImportProblem(None, f"sectors[{i}].code", _("mã lĩnh vực không hợp lệ.")))
            continue
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            problems.append(ImportProblem(None, f"sectors[{i}].name", _("tên lĩnh vực là bắt buộc.")))
            continue
        sectors.append({"code": code, "name": name.strip()})
    known_sectors = {s["code"] for s in sectors} | set(Sector.objects.values_list("code", flat=True))
    agencies = dict(Agency.objects.values_list("code", "pk"))
    raw_procedures = data.get("procedures")
    if not isinstance(raw_procedures, list):
        problems.append(ImportProblem(None, "procedures", _("cần danh sách thủ tục.")))
        raw_procedures = []
    procedures, seen = [], set()
    for i, entry in enumerate(raw_procedures):
        clean = _check_procedure(entry, i, known_sectors, agencies, problems)
        if clean is None:
            continue
        if clean["code"] in seen:
            problems.append(ImportProblem(str(clean["code"]), "code", _("mã thủ tục xuất hiện hai lần trong tệp.")))
        seen.add(clean["code"])
        procedures.append(clean)
    if problems:
        raise CatalogueImportError(problems)
    return sectors, procedures


# --- writing ---------------------------------------------------------------------------------

CONTENT_KEYS = PROCEDURE_KEYS - {"code", "sector", "agencies", "is_active", "effective_date"}


def _write_version(procedure: Procedure, clean: dict, *, number: int, written: list[str]) -> ProcedureVersion:
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=number,
        status=VersionStatus.DRAFT,
        name=clean["name"],
        name_en=clean["name_en"],
        summary_en=clean["summary_en"],
        service_level=clean["service_level"],
        legacy_level=clean["legacy_level"],
        for_citizens=ApplicantType.CITIZEN in clean["applicant_types"],
        for_organisations=ApplicantType.ORGANISATION in clean["applicant_types"],
        channel_in_person=Channel.IN_PERSON in clean["channels"],
        channel_online=Channel.ONLINE in clean["channels"],
        channel_post=Channel.POST in clean["channels"],
        processing_time=clean["processing_time"],
        processing_time_unit=clean["processing_time_unit"],
        processing_time_note=clean["processing_time_note"],
        steps_text=clean["steps_text"],
        conditions=clean["conditions"],
        result_place=clean["result_place"],
        legal_basis=clean["legal_basis"],
        result_types=clean["result_types"],
        form_schema=clean["form"],
        workflow_steps=clean["workflow"],
    )
    Fee.objects.bulk_create(Fee(version=version, order=i, **fee) for i, fee in enumerate(clean["fees"]))
    for i, doc in enumerate(clean["documents"]):
        values = {k: v for k, v in doc.items() if k != "template"}
        document = DocumentRequirement(version=version, order=i, **values)
        if doc["template"]:
            document.template_name = doc["template"]["filename"]
            document.template.save(doc["template"]["filename"], ContentFile(doc["template"]["content"]), save=False)
            written.append(document.template.name)
        document.save()
    return version


def _comparable(content: dict) -> dict:
    content = {k: content[k] for k in CONTENT_KEYS}
    content["applicant_types"] = sorted(content["applicant_types"])
    content["channels"] = sorted(content["channels"])
    return content


def catalogue_import(*, data: Any, user=None, publish: bool = True) -> ImportResult:
    """Check then save a whole catalogue document; all or nothing.

    Raises CatalogueImportError listing every problem (procedure and field) when it is invalid.
    """
    sectors, procedures = catalogue_check(data)
    result = ImportResult(sectors=len(sectors))
    written: list[str] = []  # template files saved so far, removed again if the transaction fails
    try:
        with transaction.atomic():
            _import_all(sectors, procedures, result=result, user=user, publish=publish, written=written)
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return result


def _import_all(sectors, procedures, *, result: ImportResult, user, publish: bool, written: list[str]) -> None:
    today = timezone.localdate()
    for item in sectors:
        Sector.objects.update_or_create(code=item["code"], defaults={"name": item["name"]})
    sector_ids = dict(Sector.objects.values_list("code", "pk"))
    agency_ids = dict(Agency.objects.values_list("code", "pk"))
    for clean in procedures:
        procedure, created = Procedure.objects.select_for_update().get_or_create(
            code=clean["code"],
            defaults={
                "name": clean["name"],
                "sector_id": sector_ids[clean["sector"]],
                "is_active": clean["is_active"],
            },
        )
        if not created and (procedure.sector_id, procedure.is_active) != (
            sector_ids[clean["sector"]],
            clean["is_active"],
        ):
            procedure.sector_id = sector_ids[clean["sector"]]
            procedure.is_active = clean["is_active"]
            procedure.save(update_fields=["sector", "is_active", "updated_at"])
        procedure.agencies.set([agency_ids[code] for code in clean["agencies"]])
        latest = None if created else _latest_published(procedure)
        if latest is not None and _comparable(version_content(latest, raw_templates=True)) == _comparable(clean):
            result.unchanged.append(procedure.code)
            continue
        procedure.versions.filter(status=VersionStatus.DRAFT).delete()
        number = (procedure.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        version = _write_version(procedure, clean, number=number, written=written)
        if publish:
            effective = dt.date.fromisoformat(clean["effective_date"]) if clean["effective_date"] else today
            procedure_version_publish(version=version, effective_date=effective, user=user, allow_past=True)
        (result.created if created else result.updated).append(procedure.code)


def _parse_json(raw: bytes | str) -> Any:
    if len(raw) > MAX_IMPORT_BYTES:
        raise CatalogueImportError([ImportProblem(None, "(tệp)", _("tệp lớn quá 50 MB."))])
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise CatalogueImportError(
            [ImportProblem(None, "(tệp)", _("không đọc được JSON: %(error)s") % {"error": str(error)[:200]})]
        ) from None


def catalogue_validate_json(*, raw: bytes | str) -> int:
    """Check a catalogue file without saving anything; return how many procedures it holds."""
    _sectors, procedures = catalogue_check(_parse_json(raw))
    return len(procedures)


def catalogue_import_json(*, raw: bytes | str, user=None, publish: bool = True) -> ImportResult:
    """Parse JSON text then import it; a syntax error is reported like any other problem."""
    return catalogue_import(data=_parse_json(raw), user=user, publish=publish)
