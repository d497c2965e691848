"""JSON import/export of the catalogue: round trip, idempotence, and bad input (all or nothing)."""

import copy
import json

import pytest
from django.core.management import CommandError, call_command

from procedures.constants import VersionStatus
from procedures.models import DocumentRequirement, Fee, Procedure, ProcedureVersion, Sector
from procedures.services import CatalogueImportError, catalogue_export, catalogue_import, catalogue_import_json
from tests.factories import AgencyFactory
from tests.procedures.factories import DOCX, _document, _procedure

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune(db):
    return AgencyFactory(code="000.01.21.H99")


def test_import_creates_a_published_version_with_its_rows(commune):
    result = catalogue_import(data=_document())
    assert result.created == ["1.001193"]
    procedure = Procedure.objects.get(code="1.001193")
    assert list(procedure.agencies.all()) == [commune]
    version = procedure.versions.get()
    assert version.status == VersionStatus.PUBLISHED
    assert str(version.effective_date) == "2025-07-01"
    assert version.fees.get().amount == 8000
    document = version.documents.get()
    assert document.template.read() == b"PK\x03\x04 mau to khai"
    assert document.template_filename.startswith("to-khai")


def test_export_then_import_round_trips_and_is_idempotent(commune):
    catalogue_import(data=_document())
    exported = catalogue_export()
    assert exported["procedures"][0]["documents"][0]["template"]["content_base64"] == DOCX
    assert exported["sectors"] == [{"code": "HT", "name": "Hộ tịch"}]
    again = catalogue_import(data=json.loads(json.dumps(exported)))
    assert again.unchanged == ["1.001193"]
    assert ProcedureVersion.objects.count() == 1


def test_changed_content_makes_a_new_version_and_keeps_the_old_one(commune):
    catalogue_import(data=_document())
    old = ProcedureVersion.objects.get()
    changed = _procedure(fees=[{"amount": 10000, "description": "Phí mới", "collected_at": "before_result"}])
    result = catalogue_import(data=_document(changed))
    assert result.updated == ["1.001193"]
    versions = list(ProcedureVersion.objects.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    old.refresh_from_db()
    assert old.fees.get().amount == 8000  # the version a dossier may be bound to is untouched
    assert versions[1].fees.get().amount == 10000


def test_import_as_draft_does_not_publish(commune):
    catalogue_import(data=_document(), publish=False)
    version = ProcedureVersion.objects.get()
    assert version.status == VersionStatus.DRAFT and version.effective_date is None


BAD_INPUT = [
    ("broken field", {"processing_time": "ba ngày"}, "processing_time", "số nguyên"),
    ("unknown agency", {"agencies": ["000.99.99.H99"]}, "agencies", "000.99.99.H99"),
    (
        "unknown form field type",
        {"form": {"fields": [{"name": "x", "type": "hologram", "label": "X"}]}},
        "form",
        "hologram",
    ),
    (
        "negative fee",
        {"fees": [{"amount": -1000, "description": "Lệ phí", "collected_at": "at_submission"}]},
        "fees[0].amount",
        "không được âm",
    ),
    (
        "fee tier without units",
        {"fees": [{"amount": 1000, "description": "Phí", "quantity_field": "pages", "quantity_max": 0}]},
        "fees[0].quantity_max",
        "không được nhỏ hơn 1",
    ),
    (
        "fee tier ending before it starts",
        {"fees": [{"amount": 1000, "description": "Phí", "quantity_free": 2, "quantity_max": 2}]},
        "fees[0].quantity_max",
        "phải lớn hơn số lượng không thu",
    ),
    ("unknown sector", {"sector": "ZZ"}, "sector", "ZZ"),
    ("bad level", {"service_level": "level5"}, "service_level", "level5"),
    ("no channel", {"channels": []}, "channels", "danh sách"),
    ("bad date", {"effective_date": "01/07/2025"}, "effective_date", "YYYY-MM-DD"),
    (
        "bad role",
        {"workflow": [{"key": "a", "name": "A", "role": "boss", "duration": 1, "unit": "hours"}]},
        "workflow",
        "boss",
    ),
    (
        "bad template",
        {"documents": [{"name": "Tờ khai", "template": {"filename": "../../etc/passwd", "content_base64": DOCX}}]},
        "documents[0].template.filename",
        "tên tệp",
    ),
    (
        "bad mime",
        {"documents": [{"name": "Tờ khai", "accepted_types": ["pdf"]}]},
        "documents[0].accepted_types",
        "MIME",
    ),
    ("unknown key", {"colour": "red"}, "colour", "không được hỗ trợ"),
    ("empty name", {"name": ""}, "name", "không được để trống"),
]


@pytest.mark.parametrize(("case", "override", "field", "fragment"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_names_procedure_and_field_and_saves_nothing(commune, case, override, field, fragment):
    good = _procedure(code="1.000656", name="Đăng ký khai tử")
    bad = _procedure(**override)
    with pytest.raises(CatalogueImportError) as exc:
        catalogue_import(data=_document(good, bad))
    problems = exc.value.problems
    assert any(p.procedure.startswith("1.001193") and p.field == field for p in problems), problems
    assert any(fragment in str(p) for p in problems), [str(p) for p in problems]
    assert "Thủ tục 1.001193" in str(problems[0])
    # all or nothing: the valid procedure before it was not saved either
    assert Procedure.objects.count() == 0
    assert Sector.objects.count() == 0
    assert ProcedureVersion.objects.count() == Fee.objects.count() == DocumentRequirement.objects.count() == 0


def test_a_failure_while_writing_rolls_everything_back(commune, monkeypatch):
    from django.core.files.storage import default_storage

    from procedures.services import transfer

    written = []
    real = transfer._write_version

    def flaky(procedure, clean, **kwargs):
        if written:
            raise RuntimeError("disk full")
        version = real(procedure, clean, **kwargs)
        written.extend(kwargs["written"])
        return version

    monkeypatch.setattr(transfer, "_write_version", flaky)
    with pytest.raises(RuntimeError):
        catalogue_import(data=_document(_procedure(code="1.000656"), _procedure()))
    assert Procedure.objects.count() == 0
    assert written and not any(default_storage.exists(name) for name in written)  # no orphan template files


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2, 3]", b'"text"', b"{}", b'{"procedures": "x"}', b"[" * 100_000, "💥".encode()],
)
def test_unreadable_files_get_a_clear_error(raw):
    with pytest.raises(CatalogueImportError) as exc:
        catalogue_import_json(raw=raw)
    assert exc.value.messages
    assert Procedure.objects.count() == 0


def test_duplicate_codes_in_one_file(commune):
    with pytest.raises(CatalogueImportError) as exc:
        catalogue_import(data=_document(_procedure(), _procedure()))
    assert any("hai lần" in m for m in exc.value.messages)


def test_management_commands_round_trip(commune, tmp_path, capsys):
    source = tmp_path / "in.json"
    source.write_text(json.dumps(_document(), ensure_ascii=False), encoding="utf-8")
    call_command("catalogue_import", str(source), "--check")
    assert Procedure.objects.count() == 0  # --check saves nothing
    call_command("catalogue_import", str(source))
    assert Procedure.objects.count() == 1
    target = tmp_path / "out.json"
    call_command("catalogue_export", "--output", str(target))
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert [p["code"] for p in exported["procedures"]] == ["1.001193"]


def test_import_command_reports_errors_and_fails(commune, tmp_path, capsys):
    bad = copy.deepcopy(_document(_procedure(fees=[{"amount": -1, "description": "x"}])))
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(CommandError, match="chưa có thay đổi nào được lưu"):
        call_command("catalogue_import", str(source))
    assert "fees[0].amount" in capsys.readouterr().err
    with pytest.raises(CommandError):
        call_command("catalogue_import", str(tmp_path / "missing.json"))


def test_english_name_and_summary_travel_in_the_json(commune):
    entry = _procedure(name_en="Birth registration", summary_en="Register a child's birth.")
    catalogue_import(data=_document(entry))
    version = ProcedureVersion.objects.get()
    assert (version.name_en, version.summary_en) == ("Birth registration", "Register a child's birth.")
    exported = catalogue_export()["procedures"][0]
    assert (exported["name_en"], exported["summary_en"]) == ("Birth registration", "Register a child's birth.")
    assert catalogue_import(data=json.loads(json.dumps(catalogue_export()))).unchanged == ["1.001193"]
    # A changed English name is a change of content: a new version.
    changed = _procedure(name_en="Registration of a birth", summary_en="Register a child's birth.")
    assert catalogue_import(data=_document(changed)).updated == ["1.001193"]


def test_an_english_name_that_is_not_text_is_refused(commune):
    with pytest.raises(CatalogueImportError) as error:
        catalogue_import(data=_document(_procedure(name_en=["Birth"], summary_en="x" * 2001)))
    text = " ".join(str(p) for p in error.value.problems)
    assert "name_en" in text and "summary_en" in text
    assert not ProcedureVersion.objects.exists()
