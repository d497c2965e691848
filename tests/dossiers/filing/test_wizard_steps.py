"""The wizard in the GOV.UK habit (issue 19): no page for a choice already made."""

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse

from dossiers.models import Dossier
from procedures import selectors as procedure_selectors
from tests.dossiers.factories import OnlineVersionFactory
from tests.factories import AgencyFactory, CitizenProfileFactory, OrganisationMembershipFactory
from tests.procedures.conftest import demo_agencies, demo_catalogue  # noqa: F401 - fixtures
from tests.procedures.factories import ProcedureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(db):
    return CitizenProfileFactory(full_name="Nguyễn Văn Một").user


# --- point 1: step 1 is skipped when it would ask nothing -------------------------------------


def test_one_applicant_and_one_agency_lands_on_the_form(client, citizen):
    version = OnlineVersionFactory()
    client.force_login(citizen)
    response = client.get(f"/dossiers/new/{version.procedure.code}/")
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:draft_form", args=[dossier.pk])
    assert (dossier.applicant, dossier.organisation, dossier.receiving_agency) == (
        citizen,
        None,
        version.procedure.agencies.get(),
    )
    page = client.get(response["Location"]).content.decode()
    # The form itself, not the applicant step.
    assert "Ai nộp hồ sơ này?" not in page and '<h2 class="h5">Tờ khai</h2>' in page


def test_an_unfinished_draft_is_offered_instead_of_a_new_one(client, citizen):
    version = OnlineVersionFactory()
    client.force_login(citizen)
    client.get(f"/dossiers/new/{version.procedure.code}/")
    response = client.get(f"/dossiers/new/{version.procedure.code}/")
    assert response.status_code == 200
    assert "Bạn có bản nháp chưa nộp của thủ tục này" in response.content.decode()
    assert Dossier.objects.count() == 1


def test_two_agencies_are_a_choice(client, citizen):
    version = OnlineVersionFactory(procedure=ProcedureFactory(agencies=[AgencyFactory(), AgencyFactory()]))
    client.force_login(citizen)
    response = client.get(f"/dossiers/new/{version.procedure.code}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ai nộp hồ sơ này?" in page and "Nơi tiếp nhận hồ sơ" in page
    assert not Dossier.objects.exists()


def test_a_member_of_an_organisation_chooses_who_applies(client, citizen):
    membership = OrganisationMembershipFactory(user=citizen)
    version = OnlineVersionFactory(for_organisations=True)
    client.force_login(citizen)
    response = client.get(f"/dossiers/new/{version.procedure.code}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tôi (công dân) tự nộp hồ sơ" in page and membership.organisation.name in page
    assert not Dossier.objects.exists()


def test_an_organisation_member_filing_a_citizens_only_procedure_has_no_choice(client, citizen):
    OrganisationMembershipFactory(user=citizen)
    version = OnlineVersionFactory(for_organisations=False)
    client.force_login(citizen)
    response = client.get(f"/dossiers/new/{version.procedure.code}/")
    assert response.status_code == 302
    assert Dossier.objects.get().organisation is None


# --- point 3: dates as a day / month / year group ----------------------------------------------

KHAI_SINH = "1.001193"
BIRTH = {
    "data-requester_name": "Nguyễn Văn Cha",
    "data-requester_id": "001090000001",
    "data-requester_phone": "0912345678",
    "data-requester_address": "Số 1 đường Trung Tâm",
    "data-child_name": "Nguyễn Văn Bé",
    "data-child_sex": "male",
    "data-birth_place": "Bệnh viện Đa khoa Tỉnh Demo",
    "data-ethnicity": "Kinh",
    "data-mother_name": "Trần Thị Mẹ",
    "data-relationship": "father",
    "action": "next",
}


def _birth_draft(client, user) -> Dossier:
    client.force_login(user)
    response = client.post(f"/dossiers/new/{KHAI_SINH}/", {"on_behalf_of": "", "agency": "000.01.21.H99"})
    assert response.status_code == 302
    return Dossier.objects.latest("pk")


def _post_date(client, draft, day, month, year):
    parts = {"data-child_birth_date-day": day, "data-child_birth_date-month": month}
    # The child's date of birth is on page 2 of the birth registration's form.
    return client.post(
        reverse("dossiers:draft_form", args=[draft.pk]) + "?page=2",
        {**BIRTH, **parts, "data-child_birth_date-year": year},
    )


def _html(response):
    return lxml.html.fromstring(response.content.decode())


def test_a_date_is_three_labelled_numeric_inputs_in_one_fieldset(client, citizen, demo_catalogue):  # noqa: F811
    draft = _birth_draft(client, citizen)
    tree = _html(client.get(reverse("dossiers:draft_form", args=[draft.pk]) + "?page=2"))
    group = tree.get_element_by_id("id_data-child_birth_date-group")
    fieldset = next(a for a in group.iterancestors() if a.tag == "fieldset")
    assert "Ngày, tháng, năm sinh" in fieldset.find("legend").text_content()
    inputs = group.findall(".//input")
    assert [i.get("name") for i in inputs] == [
        "data-child_birth_date-day",
        "data-child_birth_date-month",
        "data-child_birth_date-year",
    ]
    assert all(i.get("inputmode") == "numeric" for i in inputs)
    labels = {label.get("for"): label.text_content() for label in group.findall(".//label")}
    assert [labels[i.get("id")] for i in inputs] == ["Ngày", "Tháng", "Năm"]
    # The error summary links to the field's id: the day's input.
    assert inputs[0].get("id") == "id_data-child_birth_date"


def test_the_parts_make_an_iso_date_in_the_draft(client, citizen, demo_catalogue):  # noqa: F811
    draft = _birth_draft(client, citizen)
    response = _post_date(client, draft, "1", "11", "2026")
    assert response.status_code == 302, response.content.decode()[-3000:]
    draft.refresh_from_db()
    assert draft.form_data["child_birth_date"] == "2026-11-01"
    page = client.get(reverse("dossiers:draft_form", args=[draft.pk]) + "?page=2").content.decode()
    assert 'name="data-child_birth_date-day" id="id_data-child_birth_date" value="01"' in page
    assert 'value="11"' in page and 'value="2026"' in page


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("31", "2", "2026"), "Ngày, tháng, năm sinh phải là một ngày có thật."),
        (("1", "13", "2026"), "Ngày, tháng, năm sinh phải là một ngày có thật."),
        (("a", "1", "2026"), "Ngày, tháng, năm sinh phải là một ngày có thật."),
        (("1", "1", "26"), "Ngày, tháng, năm sinh: năm phải gồm 4 chữ số."),
        (("1", "", "2026"), "Ngày, tháng, năm sinh phải có tháng."),
        (("", "", "2026"), "Ngày, tháng, năm sinh phải có ngày và tháng."),
        (("1", "1", "2099"), "Ngày, tháng, năm sinh không được sau hôm nay."),
        (("", "", ""), "Nhập ngày, tháng, năm sinh."),
    ],
)
def test_a_wrong_date_says_what_is_wrong_beside_its_inputs(client, citizen, demo_catalogue, parts, message):  # noqa: F811
    draft = _birth_draft(client, citizen)
    response = _post_date(client, draft, *parts)
    assert response.status_code == 400
    tree = _html(response)
    summary = tree.get_element_by_id("error-summary")
    link = next(a for a in summary.iter("a") if a.get("href") == "#id_data-child_birth_date")
    assert link.text_content() == message
    # The GOV.UK date input: the fieldset is described by the error, each box marked invalid.
    fieldset = next(
        a for a in tree.get_element_by_id("id_data-child_birth_date-group").iterancestors() if a.tag == "fieldset"
    )
    described = [tree.get_element_by_id(i).text_content() for i in fieldset.get("aria-describedby").split()]
    assert any(message in text for text in described)
    for part in ("day", "month", "year"):
        box = tree.xpath(f'//input[@name="data-child_birth_date-{part}"]')[0]
        assert "is-invalid" in box.get("class") and box.get("aria-invalid") == "true"
    # What was typed stays in the boxes, as typed, to be corrected.
    typed = [
        tree.xpath(f'//input[@name="data-child_birth_date-{p}"]')[0].get("value") or ""
        for p in ("day", "month", "year")
    ]
    assert typed == list(parts)


def test_the_api_keeps_iso_dates_with_the_same_messages():
    schema = {
        "fields": [
            {"name": "born", "type": "date", "label": "Ngày sinh", "required": True, "validation": {"max": "today"}}
        ]
    }
    assert procedure_selectors.form_schema_validate_data(schema, {"born": "2020-02-29"}) == {"born": "2020-02-29"}
    for value, message in (
        ("2021-02-29", "Ngày sinh phải là một ngày có thật."),
        ("2999-01-01", "Ngày sinh không được sau hôm nay."),
    ):
        with pytest.raises(ValidationError) as error:
            procedure_selectors.form_schema_validate_data(schema, {"born": value})
        assert error.value.message_dict == {"born": [message]}


def test_a_date_inside_a_repeating_group_is_typed_in_parts_too():
    schema = {
        "fields": [
            {
                "name": "stays",
                "type": "group",
                "label": "Quá trình cư trú",
                "fields": [
                    {"name": "since", "type": "date", "label": "Từ ngày"},
                    {"name": "place", "type": "text", "label": "Nơi"},
                ],
            }
        ]
    }
    data = QueryDict(mutable=True)
    data.update({"data-stays-0-since-day": "3", "data-stays-0-since-month": "4", "data-stays-0-since-year": "2010"})
    data.update({"data-stays-0-place": "Hà Nội"})
    form = procedure_selectors.form_schema_build_form(schema, data=data, prefix="data")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["stays"] == [{"since": "2010-04-03", "place": "Hà Nội"}]


# --- point 4: every error tied to its field --------------------------------------------------


def _untied_errors(tree) -> list[str]:
    """Inputs marked invalid whose aria-describedby does not name an element holding an error."""
    problems = []
    for box in tree.xpath(
        '//*[contains(concat(" ", @class, " "), " is-invalid ")][self::input or self::select or self::textarea]'
    ):
        # A fieldset's inputs (radios, the date group) are described by the fieldset.
        holder = next((a for a in box.iterancestors() if a.tag == "fieldset" and a.get("aria-describedby")), box)
        ids = (box.get("aria-describedby") or holder.get("aria-describedby") or "").split()
        texts = [tree.get_element_by_id(i).text_content().strip() for i in ids if tree.xpath(f'//*[@id="{i}"]')]
        if not any(texts):
            problems.append(box.get("name"))
    return problems


def test_every_error_of_the_form_step_is_tied_to_its_field(client, citizen, demo_catalogue):  # noqa: F811
    draft = _birth_draft(client, citizen)
    url = reverse("dossiers:draft_form", args=[draft.pk])
    # Page 1 (the applicant) and page 2 (the child: radios, the date group), each on its own.
    for page, least in (("1", 5), ("2", 4)):
        response = client.post(
            f"{url}?page={page}",
            {"data-requester_id": "12", "data-requester_email": "not-an-email", "data-child_sex": "", "action": "next"},
        )
        assert response.status_code == 400
        tree = _html(response)
        invalid = tree.xpath('//*[contains(concat(" ", @class, " "), " is-invalid ")]')
        assert len(invalid) >= least, page
        assert _untied_errors(tree) == []
        # Radios and checkbox lists: the fieldset names the error.
        for fieldset in tree.xpath("//fieldset[.//input[@type='radio']]"):
            if fieldset.xpath('.//*[contains(@class, "invalid-feedback")]'):
                assert fieldset.get("aria-describedby")


def test_the_declaration_and_delivery_errors_are_tied_to_their_inputs(client, citizen, demo_catalogue):  # noqa: F811
    draft = _birth_draft(client, citizen)
    _post_date(client, draft, "1", "11", "2026")
    url = reverse("dossiers:draft_review", args=[draft.pk])
    response = client.post(url, {"delivery_method": "post", "delivery_phone": "12"})
    assert response.status_code == 400
    tree = _html(response)
    box = tree.get_element_by_id("id_declaration")
    assert box.get("aria-invalid") == "true"
    assert "cam đoan" in tree.get_element_by_id(box.get("aria-describedby")).text_content()
    for name in ("recipient", "address", "phone"):
        field = tree.get_element_by_id(f"id_delivery_{name}")
        assert "is-invalid" in field.get("class")
        assert tree.get_element_by_id(field.get("aria-describedby")).text_content().strip()
    assert _untied_errors(tree) == []
    summary = tree.get_element_by_id("error-summary")
    assert {a.get("href") for a in summary.iter("a")} >= {"#id_delivery_recipient", "#id_delivery_address"}
