"""Public catalogue API: list with search and filters, detail with form and documents, agencies."""

import pytest
from rest_framework.test import APIClient

from tests.procedures.factories import DocumentRequirementFactory, FeeFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_list_is_public_paginated_and_counted(api, django_assert_max_num_queries):
    for _ in range(23):
        ProcedureVersionFactory()
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/procedures/")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 23 and len(data["results"]) == 20 and data["next"]
    item = data["results"][0]
    assert {"code", "name", "field", "agencies", "service_level", "legacy_level", "online"} <= set(item)


def test_search_and_filters(api, demo_catalogue):
    data = api.get("/api/v1/procedures/", {"q": "dang ky khai sinh"}).json()
    assert data["results"][0]["code"] == "1.001193"
    data = api.get("/api/v1/procedures/", {"agency": "000.00.15.H99", "field": "XD", "level": "partial"}).json()
    assert data["count"] >= 2
    assert all(r["field"]["code"] == "XD" and r["service_level"] == "partial" for r in data["results"])
    assert api.get("/api/v1/procedures/", {"level": "3"}).json()["count"] > 0
    assert api.get("/api/v1/procedures/", {"q": "x" * 10_000}).status_code == 200
    assert api.get("/api/v1/procedures/", {"q": "'; DROP TABLE x; --"}).status_code == 200


@pytest.mark.parametrize("params", [{"level": "7"}, {"level": "toan-trinh"}, {"applicant": "robot"}])
def test_invalid_filters_are_a_400_in_vietnamese(api, params):
    response = api.get("/api/v1/procedures/", params)
    assert response.status_code == 400
    assert "không hợp lệ" in response.json()["detail"]


def test_detail_returns_everything(api, demo_catalogue):
    response = api.get("/api/v1/procedures/2.000488/")
    assert response.status_code == 200
    data = response.json()
    for key in [
        "code",
        "name",
        "field",
        "agencies",
        "fees",
        "documents",
        "form",
        "workflow",
        "legal_basis",
        "result_types",
    ]:
        assert key in data, key
    fields = {f["name"]: f for f in data["form"]["fields"]}
    for field in fields.values():
        assert {"name", "type", "label", "required", "prefill"} <= set(field)
    assert fields["requester_name"]["prefill"] == "profile.full_name"
    assert fields["sex"]["choices"][0] == {"value": "male", "label": "Nam"}
    assert "choices" not in fields["purpose"]
    assert fields["residences"]["type"] == "group" and fields["residences"]["fields"][0]["name"] == "from_date"
    document = data["documents"][0]
    assert {"id", "name", "required", "accepted_types", "max_size"} <= set(document)
    assert document["template_url"].startswith("http://testserver/procedures/2.000488/documents/")
    assert any(fee["amount"] == 200000 for fee in data["fees"])
    assert api.get(document["template_url"]).status_code == 200


def test_detail_of_a_factory_version(api):
    version = ProcedureVersionFactory()
    FeeFactory(version=version, amount=0)
    DocumentRequirementFactory(version=version, template=None, accepted_types=["image/png"])
    data = api.get(f"/api/v1/procedures/{version.procedure.code}/").json()
    assert data["documents"][0]["template_url"] is None
    assert data["documents"][0]["accepted_types"] == ["image/png"]
    assert data["fees"] == [{"amount": 0, "description": "Lệ phí", "collected_at": "at_submission"}]


@pytest.mark.parametrize("code", ["none", "9.000000", "%3Cscript%3E"])
def test_unknown_procedure_is_404(api, code):
    response = api.get(f"/api/v1/procedures/{code}/")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.json()["detail"]


def test_agencies(api, demo_agencies):
    data = api.get("/api/v1/agencies/").json()
    codes = [a["code"] for a in data["results"]]
    assert "000.00.12.H99" in codes and data["count"] == len(demo_agencies)
    assert data["results"][0]["working_periods"] == [["07:30", "11:30"], ["13:00", "17:00"]]


def test_fields(api, demo_catalogue):
    data = api.get("/api/v1/fields/").json()
    assert {"code": "HT", "name": "Hộ tịch"} in data


def test_openapi_schema_documents_the_catalogue(api):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/procedures/", "/api/v1/procedures/{code}/", "/api/v1/agencies/"} <= set(paths)
