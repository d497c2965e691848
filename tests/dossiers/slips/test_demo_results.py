"""Every demo procedure's result is right for that procedure (issue 19): rendered from its own
template (templates/results/<code>.html) with the answers declared, the agency's signer, and
read back from the PDF with pdftotext."""

import datetime as dt
import json
import subprocess

import pytest

from dossiers.constants import ResultStatus
from dossiers.models import DossierResult
from dossiers.services.results import result_render, result_template
from procedures import selectors as procedure_selectors
from procedures.demo import DEMO_CATALOGUE
from tests.dossiers.factories import DossierFactory
from tests.factories import UserFactory
from tests.procedures.conftest import demo_agencies, demo_catalogue  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

CATALOGUE = json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))["procedures"]
CODES = [entry["code"] for entry in CATALOGUE]
# How to reach the applicant, and flags that only steer the fee: not printed on a result.
NOT_PRINTED = {"requester_phone", "requester_email", "requester_address", "org_phone", "fee_reduced", "urgent"}
# Where the paper is about someone else than who applied, that person's ID is what it carries.
NOT_PRINTED_BY = {
    # The birth certificate names who applied by the account's name and relationship (its own
    # test in test_slips_processing.py); its copies count is for the fee.
    "1.001193": {"requester_name", "requester_id", "copies"},
    "1.000894": {"requester_name", "requester_id"},  # the spouses, one of whom applied
    "2.000505": {"org_tax_code", "org_representative"},  # the asking agency, by name
    "1.000105": {"org_representative"},
    "1.009976": {"requester_id"},
    "1.001776": {"requester_id"},
    "1.001699": {"requester_id"},
    "2.002482": {"requester_id"},
    "1.004831": {"requester_id"},  # a parent asks for the student
}


def _sample(spec: dict, n: int):
    """A value for one field, and how the result should print it."""
    kind, name = spec["type"], spec["name"]
    if kind == "citizen_id":
        value = f"0010900{n:05d}"
        return value, value
    if kind == "tax_code":
        return "0101234567", "0101234567"
    if kind == "date":
        day = dt.date(2026, 1, 1) + dt.timedelta(days=n)
        return day.isoformat(), f"{day:%d/%m/%Y}"
    if kind == "number":
        return 3 + n, str(3 + n)
    if kind == "money":
        return 1_500_000 + n * 1000, f"{1_500_000 + n * 1000:,}".replace(",", ".") + " đồng"
    if kind == "yes_no":
        return True, "Có"
    if kind in ("choice", "multiple_choice"):
        # The catalogue may give a choice as a bare string (its value is its label).
        choice = spec["choices"][-1 if kind == "choice" else 0]
        value, label = (choice, choice) if isinstance(choice, str) else (choice["value"], choice["label"])
        return (value if kind == "choice" else [value]), label
    if kind == "group":
        row, shown = {}, []
        for i, sub in enumerate(spec["fields"]):
            row[sub["name"]], text = _sample(sub, n * 10 + i)
            # A table's amount reads "1.500.000 đ" (portal/money.py), a sentence's "… đồng".
            shown.append(text.replace(" đồng", " đ") if sub["type"] == "money" else text)
        return [row], shown
    if kind == "email":
        return f"{name}@example.vn", f"{name}@example.vn"
    if kind == "phone":
        return "0912345678", "0912345678"
    value = f"Giá trị {name.replace('_', ' ')} số {n}"
    return value, value


def _answers(entry: dict) -> tuple[dict, list[str]]:
    data, expected = {}, []
    skip = NOT_PRINTED | NOT_PRINTED_BY.get(entry["code"], set())
    for n, spec in enumerate(entry["form"]["fields"], start=1):
        data[spec["name"]], shown = _sample(spec, n)
        if spec["name"] not in skip:
            expected += shown if isinstance(shown, list) else [shown]
    return data, expected


def _pdf_text(result: DossierResult, tmp_path) -> str:
    with result.stored.file.open("rb") as handle:
        pdf = handle.read()
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "result.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def test_every_demo_procedure_has_its_own_result_template():
    assert len(CODES) == 31
    assert [code for code in CODES if result_template(code) != f"results/{code}.html"] == []


@pytest.mark.parametrize("code", CODES)
def test_the_result_of_each_demo_procedure_says_what_was_declared(code, demo_catalogue, tmp_path):  # noqa: F811
    entry = next(e for e in CATALOGUE if e["code"] == code)
    data, expected = _answers(entry)
    version = procedure_selectors.procedure_in_force_by_code(code)
    officer = UserFactory(full_name="Chuyên Viên Thẩm Định")
    dossier = DossierFactory(
        procedure_version=version, applicant=UserFactory(full_name="Người Nộp Hồ Sơ"), form_data=data
    )
    agency = dossier.receiving_agency
    agency.signer_title, agency.signer_name = "Phó Chủ tịch", "Lê Thị Ký Số"
    agency.save(update_fields=["signer_title", "signer_name"])
    title = entry["result_types"][0]["name"]
    result = DossierResult.objects.create(
        dossier=dossier, number=1, code=f"{dossier.code}-KQ1", title=title, created_by=officer
    )
    result = result_render(result_id=result.pk)
    assert result.status == ResultStatus.DRAFT and result.stored is not None
    text = _pdf_text(result, tmp_path)
    # Names are printed in capitals, as on the paper forms.
    missing = [value for value in expected if " ".join(value.split()).upper() not in text.upper()]
    assert missing == [], f"{code}: not on the result: {missing}"
    assert "PHÓ CHỦ TỊCH" in text and "Lê Thị Ký Số" in text
    assert result.code in text and dossier.code in text
    # Not the generic decision: the procedure's own paper.
    assert "Căn cứ hồ sơ đề nghị giải quyết thủ tục hành chính" not in text
    assert "Ông/Bà: Người Nộp Hồ Sơ" not in text
