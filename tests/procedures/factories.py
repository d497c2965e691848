"""Factories of the catalogue (fields, procedures, versions, fees, document components)."""

import base64
import datetime as dt

import factory
from django.core.files.base import ContentFile

from procedures.constants import FeeCollection, ServiceLevel, VersionStatus
from procedures.models import DocumentRequirement, Fee, Procedure, ProcedureVersion, Sector
from tests.factories import AgencyFactory

SIMPLE_FORM = {
    "fields": [
        {"name": "full_name", "type": "text", "label": "Họ và tên", "required": True, "prefill": "profile.full_name"},
        {"name": "note", "type": "long_text", "label": "Ghi chú", "required": False},
    ]
}
SIMPLE_WORKFLOW = [
    {"key": "receive", "name": "Tiếp nhận", "role": "reception", "duration": 4, "unit": "hours", "send_back_to": None},
    {"key": "process", "name": "Xử lý", "role": "specialist", "duration": 2, "unit": "days", "send_back_to": "receive"},
]


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"LV{n:03d}")
    name = factory.Sequence(lambda n: f"Lĩnh vực {n}")


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"9.{n:06d}")
    name = factory.Sequence(lambda n: f"Thủ tục thử nghiệm {n}")
    sector = factory.SubFactory(SectorFactory)

    @factory.post_generation
    def agencies(self, create, extracted, **kwargs):
        if create:
            self.agencies.set(extracted if extracted is not None else [AgencyFactory()])


class ProcedureVersionFactory(factory.django.DjangoModelFactory):
    """A published version in force since 2025-01-01, by default."""

    class Meta:
        model = ProcedureVersion

    procedure = factory.SubFactory(ProcedureFactory)
    number = factory.Sequence(lambda n: n + 1)
    status = VersionStatus.PUBLISHED
    effective_date = dt.date(2025, 1, 1)
    name = factory.LazyAttribute(lambda o: o.procedure.name)
    service_level = ServiceLevel.FULL
    legacy_level = 4
    channel_online = True
    processing_time = 3
    steps_text = "Bước 1: Nộp hồ sơ.\nBước 2: Nhận kết quả."
    conditions = "Không."
    legal_basis = factory.LazyFunction(
        lambda: [{"number": "60/2014/QH13", "title": "Luật Hộ tịch", "date": "2014-11-20"}]
    )
    result_types = factory.LazyFunction(lambda: [{"name": "Giấy chứng nhận", "electronic": True, "signed": True}])
    form_schema = factory.LazyFunction(lambda: SIMPLE_FORM)
    workflow_steps = factory.LazyFunction(lambda: SIMPLE_WORKFLOW)

    class Params:
        draft = factory.Trait(status=VersionStatus.DRAFT, effective_date=None)


class FeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fee

    version = factory.SubFactory(ProcedureVersionFactory)
    amount = 50_000
    description = "Lệ phí"
    collected_at = FeeCollection.AT_SUBMISSION


class DocumentRequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentRequirement

    version = factory.SubFactory(ProcedureVersionFactory)
    name = factory.Sequence(lambda n: f"Giấy tờ {n}")
    accepted_types = factory.LazyFunction(lambda: ["application/pdf"])
    template = factory.LazyFunction(lambda: ContentFile(b"%PDF-1.4 mau to khai", name="to-khai.pdf"))


# --- the catalogue's JSON import/export document ------------------------------------------------

DOCX = base64.b64encode(b"PK\x03\x04 mau to khai").decode()


def _procedure(code="1.001193", **overrides):
    data = {
        "code": code,
        "name": "Đăng ký khai sinh",
        "sector": "HT",
        "agencies": ["000.01.21.H99"],
        "effective_date": "2025-07-01",
        "applicant_types": ["citizen"],
        "service_level": "full",
        "legacy_level": 4,
        "channels": ["online", "in_person"],
        "processing_time": 0,
        "processing_time_unit": "working_days",
        "legal_basis": [{"number": "60/2014/QH13", "title": "Luật Hộ tịch", "date": "2014-11-20"}],
        "result_types": [{"name": "Giấy khai sinh", "electronic": True, "signed": True}],
        "fees": [{"amount": 8000, "description": "Phí bản sao", "collected_at": "at_submission"}],
        "documents": [
            {
                "name": "Tờ khai đăng ký khai sinh",
                "originals": 1,
                "copies": 0,
                "required": True,
                "accepted_types": ["application/pdf"],
                "max_size": 1048576,
                "reusable": False,
                "template": {"filename": "to-khai.docx", "content_base64": DOCX},
            }
        ],
        "form": {"fields": [{"name": "child_name", "type": "text", "label": "Họ tên trẻ", "required": True}]},
        "workflow": [{"key": "receive", "name": "Tiếp nhận", "role": "reception", "duration": 1, "unit": "hours"}],
    }
    data.update(overrides)
    return data


def _document(*procedures):
    return {
        "format": "cong-dich-vu-cong/catalogue",
        "format_version": 1,
        "sectors": [{"code": "HT", "name": "Hộ tịch"}],
        "procedures": list(procedures) or [_procedure()],
    }
