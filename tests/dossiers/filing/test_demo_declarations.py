"""Every demo procedure is filed without uploading what the online form already holds (issue 19).

The rule over the whole demo catalogue: a document component named as a declaration (tờ khai,
đơn, thông báo, văn bản đề nghị/yêu cầu, phiếu…) is the applicant's own paper, made from the
form (``from_form``), unless it is listed in ``MUST_UPLOAD`` with the reason it is someone
else's paper. Each declaration made from the form renders to a PDF that names its form and
carries the answers.
"""

import json
import re
import subprocess

import pytest

from dossiers import services
from dossiers.models import DossierDocument
from procedures import selectors as procedure_selectors
from procedures.demo import DEMO_CATALOGUE
from procedures.form_schema import build_form, form_schema_validate
from tests.dossiers.factories import DossierFactory
from tests.dossiers.slips.test_demo_results import _answers
from tests.factories import UserFactory
from tests.procedures.conftest import demo_agencies, demo_catalogue  # noqa: F401 - fixtures

CATALOGUE = json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))["procedures"]
BY_CODE = {entry["code"]: entry for entry in CATALOGUE}

# How a component named as a declaration begins (the paper's own title).
DECLARATION = re.compile(
    r"^(Tờ khai|Bản khai|Đơn |Giấy đề nghị|Đề nghị|Thông báo|Văn bản|Phiếu|Biên bản)", re.IGNORECASE
)

# Components that read like a declaration and still must be uploaded: each is made, signed or
# issued by someone other than the applicant filling this form, or holds content the form does
# not (and should not) collect. (code, how the name begins): reason.
MUST_UPLOAD = {
    ("1.001193", "Văn bản ủy quyền"): "signed by the principal and certified (chứng thực), not by the applicant",
    ("1.000656", "Văn bản ủy quyền"): "signed by the principal and certified (chứng thực), not by the applicant",
    ("1.001022", "Văn bản của cơ quan y tế"): "issued by a health or forensic body",
    ("2.000720", "Biên bản họp thành viên"): "minutes signed by every household member",
    ("2.000720", "Văn bản ủy quyền"): "signed by the other household members",
    ("2.000543", "Thông báo của cơ quan thuế"): "issued by the tax authority",
    ("1.009972", "Văn bản thẩm duyệt thiết kế"): "issued by the fire police",
    ("1.012808", "Tờ khai lệ phí trước bạ"): (
        "tax declarations made to the tax authority (registration fee, personal income tax): "
        "the values and tax computations they hold are not this form's content"
    ),
    ("1.000105", "Phiếu lý lịch tư pháp"): "issued by the Department of Justice",
    ("1.000416", "Văn bản góp ý"): "written by the workers' representative organisation",
}

# What the paper form of each declaration fixed by issue 19 holds, by the form's field names:
# the online form must ask all of it, or the rendered declaration would be short of the paper.
PAPER_CONTENT = {
    # Phụ lục III-2: the household business by name, code and address, the changes.
    "2.000575": {"business_name", "registration_number", "business_address", "changes", "details"},
    # Phụ lục III-3: pause (from, to) or resume early (from), with the reason.
    "2.000544": {"business_name", "registration_number", "business_address", "notice_kind", "pause_from", "pause_to"},
    # Phụ lục III-4: the household business and the date it ends.
    "2.000543": {"business_name", "registration_number", "business_address", "end_date"},
    # Mẫu số 03: the worker, the last employer, the contract, why and when it ended, months insured.
    "1.001978": {
        "requester_name",
        "birth_date",
        "sex",
        "requester_id",
        "social_insurance_no",
        "last_employer",
        "last_employer_address",
        "contract_type",
        "contract_end",
        "termination_reason",
        "insured_months",
        "bank_account",
        "bank_name",
    },
    # Mẫu số 05a: the asking agency, then the person's identity as on the Phiếu, and the purpose.
    "2.000505": {
        "org_name",
        "org_address",
        "subject_name",
        "subject_other_names",
        "subject_sex",
        "subject_birth_date",
        "subject_birth_place",
        "subject_nationality",
        "subject_residence",
        "subject_id",
        "subject_father_name",
        "subject_mother_name",
        "purpose",
    },
}

FROM_FORM = [e["code"] for e in CATALOGUE if any(d.get("from_form") for d in e["documents"])]

# Number fields that measure (m², m) rather than count: decimals are right for them.
MEASURES = {"building_area", "floor_area", "height", "area"}


def _field_names(entry: dict) -> set[str]:
    return {f["name"] for f in entry["form"]["fields"]}


def _allowed(code: str, name: str) -> bool:
    return any(code == c and name.startswith(start) for c, start in MUST_UPLOAD)


def test_no_demo_procedure_asks_to_upload_a_declaration_the_form_holds():
    assert len(CATALOGUE) == 31
    uploads = [
        (entry["code"], doc["name"])
        for entry in CATALOGUE
        for doc in entry["documents"]
        if DECLARATION.match(doc["name"]) and not doc.get("from_form") and not _allowed(entry["code"], doc["name"])
    ]
    assert uploads == []


def test_every_exception_names_a_component_that_is_there():
    names = {(e["code"], d["name"]) for e in CATALOGUE for d in e["documents"] if not d.get("from_form")}
    stale = [key for key in MUST_UPLOAD if not any(c == key[0] and n.startswith(key[1]) for c, n in names)]
    assert stale == []


def test_every_declaration_from_the_form_reads_as_one_and_is_the_only_one():
    for code in FROM_FORM:
        marked = [d["name"] for d in BY_CODE[code]["documents"] if d.get("from_form")]
        assert len(marked) == 1 and DECLARATION.match(marked[0]), (code, marked)
    # The five the review found (issue 19) are among them now.
    assert set(PAPER_CONTENT) <= set(FROM_FORM)


@pytest.mark.parametrize("code", sorted(PAPER_CONTENT))
def test_the_form_asks_what_the_paper_declaration_holds(code):
    assert PAPER_CONTENT[code] - _field_names(BY_CODE[code]) == set()


@pytest.mark.django_db
@pytest.mark.parametrize("code", FROM_FORM)
def test_each_declaration_from_the_form_renders_with_its_title_and_answers(code, demo_catalogue, tmp_path):  # noqa: F811
    entry = BY_CODE[code]
    data, expected = _answers(entry)
    version = procedure_selectors.procedure_in_force_by_code(code)
    requirement = version.documents.get(from_form=True)
    dossier = DossierFactory(
        procedure_version=version, applicant=UserFactory(full_name="Người Nộp Hồ Sơ"), form_data=data
    )
    attached = services.dossier_declarations_render(dossier_id=dossier.pk)
    assert len(attached) == 1
    document = DossierDocument.objects.get(pk=attached[0])
    assert document.requirement == requirement and document.stored.mime_type == "application/pdf"
    path = tmp_path / "declaration.pdf"
    path.write_bytes(document.stored.file.read())
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    # Compared without white space: a long title or answer wraps where the layout wants.
    flat = "".join(text.split()).upper()
    assert "".join(requirement.name.split()).upper() in flat, text
    assert dossier.code in text and code in text
    # An amount reads "1.500.000 đ" in the answers' list (portal/money.py), "… đồng" in a sentence.
    shown = [value.replace(" đồng", " đ") for value in expected]
    missing = [value for value in shown if "".join(value.split()).upper() not in flat]
    assert missing == [], f"{code}: not on the declaration: {missing}"


def _count_field(name: str) -> bool:
    return bool(re.search(r"(^|_)(copies|pages|employees|floors|year|months|count|number_of)($|_)", name))


def test_the_catalogue_counts_in_whole_numbers():
    numbers = [
        (entry["code"], spec)
        for entry in CATALOGUE
        for field in entry["form"]["fields"]
        for spec in [field, *field.get("fields", [])]
        if spec["type"] == "number"
    ]
    counts = {(code, spec["name"]) for code, spec in numbers if _count_field(spec["name"])}
    # The ones issue 19 names are there and are counts.
    assert {
        ("2.000815", "pages"),
        ("2.000720", "employees"),
        ("1.000416", "employees"),
        ("1.009972", "floors"),
        ("1.009994", "floors"),
        ("1.005092", "graduation_year"),
        ("1.001978", "insured_months"),
    } <= counts
    not_whole = [(code, spec["name"]) for code, spec in numbers if not (spec.get("validation") or {}).get("integer")]
    # Every other number field is a measure, where a decimal is right.
    assert [(code, name) for code, name in not_whole if name not in MEASURES] == []


@pytest.mark.parametrize(("code", "name", "good"), [("2.000815", "pages", "3"), ("1.009994", "floors", "2")])
def test_a_count_refuses_a_fraction_in_vietnamese(code, name, good):
    schema = form_schema_validate(BY_CODE[code]["form"])
    form = build_form(schema, data={name: "1.5"})
    assert not form.is_valid() and form.errors[name] == ["Nhập một số nguyên, ví dụ 2."]
    form = build_form(schema, data={name: good})
    form.is_valid()
    assert name not in form.errors and form.cleaned_data[name] == int(good)
