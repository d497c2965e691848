"""Public catalogue pages: list with search and filters, detail, template downloads."""

import pytest
from django.urls import reverse

from procedures.models import DocumentRequirement
from tests.procedures.factories import DocumentRequirementFactory, FeeFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db
LIST = "/procedures/"


def test_list_page_is_paginated_with_bounded_queries(client, django_assert_max_num_queries):
    for _ in range(25):
        ProcedureVersionFactory()
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == 20
    assert response.context["page_obj"].paginator.count == 25
    assert "page=2" in response.content.decode()
    with django_assert_max_num_queries(8):
        second = client.get(LIST, {"page": 2})
    assert len(second.context["page_obj"]) == 5
    assert client.get(LIST, {"page": "999"}).status_code == 200
    assert client.get(LIST, {"page": "abc"}).status_code == 200


def test_search_without_diacritics_lists_birth_registration_first(client, demo_catalogue):
    response = client.get(LIST, {"q": "dang ky khai sinh"})
    page = response.context["page_obj"]
    assert page[0].procedure.code == "1.001193"
    assert "Đăng ký khai sinh" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 10_000},
        {"q": "<script>alert('x')</script>"},
        {"q": "' OR 1=1; --"},
        {"level": "99", "applicant": "robot", "agency": "a" * 500, "field": "<b>"},
    ],
)
def test_hostile_input_is_escaped_and_never_crashes(client, params):
    ProcedureVersionFactory()
    response = client.get(LIST, params)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert" not in body
    if len(params.get("q", "")) > 200:
        assert "chỉ 200 ký tự đầu" in body


def test_filters_on_the_page(client, demo_catalogue):
    response = client.get(LIST, {"field": "XD", "applicant": "organisation"})
    codes = {v.procedure.code for v in response.context["page_obj"]}
    assert codes and all(c.startswith("1.0099") for c in codes)
    assert "1.009994" not in codes  # individual houses: citizens only


def test_detail_shows_everything_a_level_1_service_publishes(client):
    version = ProcedureVersionFactory(name="Đăng ký khai sinh", processing_time=0)
    FeeFactory(version=version, amount=150000, description="Lệ phí cấp phép")
    document = DocumentRequirementFactory(version=version, name="Tờ khai đăng ký", originals=1, copies=2)
    response = client.get(reverse("procedures:detail", args=[version.procedure.code]))
    body = response.content.decode()
    for text in [
        "Đăng ký khai sinh",
        version.procedure.code,
        version.procedure.sector.name,
        version.procedure.agencies.get().name,
        "Bước 1: Nộp hồ sơ.",
        "Trực tuyến",
        "Tờ khai đăng ký",
        "Trong ngày làm việc",
        "150.000",
        "Lệ phí cấp phép",
        "Công dân",
        "Không.",
        "Giấy chứng nhận",
        "60/2014/QH13",
        "Toàn trình",
        "mức độ 4",
        "Nộp hồ sơ trực tuyến",
        f"/dossiers/new/{version.procedure.code}/",
        reverse("procedures:document_template", args=[version.procedure.code, document.pk]),
    ]:
        assert text in body, text


def test_no_online_button_for_in_person_only_procedures(client):
    version = ProcedureVersionFactory(channel_online=False, service_level="information", legacy_level=2)
    body = client.get(reverse("procedures:detail", args=[version.procedure.code])).content.decode()
    assert "Nộp hồ sơ trực tuyến" not in body
    assert "chưa tiếp nhận hồ sơ trực tuyến" in body


@pytest.mark.parametrize("code", ["nope", "1.001193", "x" * 300])
def test_unknown_or_not_in_force_procedures_are_404(client, code):
    ProcedureVersionFactory(procedure__code="1.001193", draft=True)
    assert client.get(f"/procedures/{code}/").status_code == 404


def test_template_download(client, admin_client):
    document = DocumentRequirementFactory()
    url = reverse("procedures:document_template", args=[document.version.procedure.code, document.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 mau to khai"
    assert "attachment" in response["Content-Disposition"]
    # wrong procedure code, missing document, no file: 404
    assert client.get(reverse("procedures:document_template", args=["9.999999", document.pk])).status_code == 404
    assert client.get(reverse("procedures:document_template", args=["x", 999999])).status_code == 404
    DocumentRequirement.objects.filter(pk=document.pk).update(template="procedures/templates/gone.pdf")
    assert client.get(url).status_code == 404


def test_draft_templates_are_for_staff_only(client, admin_client):
    document = DocumentRequirementFactory(version__draft=True)
    url = reverse("procedures:document_template", args=[document.version.procedure.code, document.pk])
    assert client.get(url).status_code == 404
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize(("value", "shown"), [(150000, "150.000"), (0, "0"), (1234567, "1.234.567"), ("x", "")])
def test_vnd_filter(value, shown):
    from procedures.templatetags.catalogue import vnd

    assert vnd(value) == shown
