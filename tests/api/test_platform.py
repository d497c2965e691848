"""The API platform: one error format in two languages, scopes, throttling, audit,
idempotency, ETags, pagination and filtering, organisation tokens."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from dossiers.models import Dossier
from portal.constants import OrganisationRole
from portal.models import ApiAuditRecord, WebhookSubscription
from portal.services import organisation_remove_member
from tests.api.conftest import client_for
from tests.dossiers.factories import DossierFactory
from tests.factories import OrganisationMembershipFactory

pytestmark = pytest.mark.django_db

DOSSIERS = "/api/v1/dossiers/"
WEBHOOKS = "/api/v1/webhooks/"


def _error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["detail"] == body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


# --- one error format, Vietnamese or English --------------------------------------------------


def test_401_in_vietnamese_and_english():
    assert "xác thực" in _error(APIClient().get(DOSSIERS), 401, "not_authenticated")["message"]
    english = _error(APIClient().get(DOSSIERS, HTTP_ACCEPT_LANGUAGE="en"), 401)["message"]
    assert "not authenticated" in english.lower()
    bad = APIClient(HTTP_AUTHORIZATION="Bearer dvc_nope")
    assert _error(bad.get(DOSSIERS), 401, "authentication_failed")["message"]


def test_unknown_api_url_is_a_json_404_in_both_languages(citizen):
    client = client_for(citizen)
    assert "Không tìm thấy" in _error(client.get("/api/v1/khong-co/"), 404, "not_found")["message"]
    assert "not found" in _error(client.get("/api/v1/nope/", HTTP_ACCEPT_LANGUAGE="en"), 404)["message"].lower()


def test_415_for_an_unsupported_body(citizen):
    client = client_for(citizen, scopes=["webhooks"])
    response = client.post(WEBHOOKS, data="<x/>", content_type="application/xml")
    _error(response, 415, "unsupported_media_type")


def test_413_for_a_body_over_the_limit(citizen, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = client_for(citizen, scopes=["webhooks"])
    response = client.post(WEBHOOKS, {"url": "https://example.org/" + "a" * 2000, "events": []}, format="json")
    assert _error(response, 413, "payload_too_large")["message"] == (
        "Phần dữ liệu biểu mẫu (không kể tệp đính kèm) vượt quá giới hạn 1000 B cho mỗi lần gửi."
    )


def test_400_lists_fields_and_english_messages(citizen):
    client = client_for(citizen, scopes=["webhooks"])
    error = _error(client.post(WEBHOOKS, {"events": ["x"]}, format="json", HTTP_ACCEPT_LANGUAGE="en"), 400, "invalid")
    assert set(error["fields"]) >= {"url", "events.0"} or set(error["fields"]) >= {"url", "events"}


def test_409_for_an_action_the_state_does_not_allow(citizen):
    dossier = DossierFactory(applicant=citizen, state="withdrawal_requested")
    response = client_for(citizen).post(
        f"{DOSSIERS}{dossier.code}/withdraw/", {"reason": "Không cần nữa"}, format="json"
    )
    assert "rút hồ sơ" in _error(response, 409, "invalid_state")["message"]


# --- scopes -----------------------------------------------------------------------------------


def test_scopes_are_enforced(citizen):
    DossierFactory(applicant=citizen)
    read_only = client_for(citizen, scopes=["dossiers:read"])
    assert read_only.get(DOSSIERS).status_code == 200
    message = _error(read_only.post(DOSSIERS, {"procedure": "1.000001"}, format="json"), 403, "permission_denied")
    assert "dossiers:write" in message["message"]
    write_only = client_for(citizen, scopes=["dossiers:write"])
    assert "dossiers:read" in _error(write_only.get(DOSSIERS), 403)["message"]
    _error(read_only.get(WEBHOOKS), 403)
    assert client_for(citizen, scopes=["webhooks"]).get(WEBHOOKS).status_code == 200
    assert "officer" in _error(read_only.get("/api/v1/officer/worklists/"), 403)["message"]


# --- throttling ----------------------------------------------------------------------------------


def test_each_token_is_throttled_with_retry_after(citizen, settings):
    settings.API_TOKEN_RATE = "3/minute"
    one, two = client_for(citizen), client_for(citizen)
    assert [one.get(DOSSIERS).status_code for _ in range(3)] == [200, 200, 200]
    response = one.get(DOSSIERS, HTTP_ACCEPT_LANGUAGE="en")
    _error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1
    assert two.get(DOSSIERS).status_code == 200  # another token has its own budget


def test_the_token_budget_is_one_counter_not_a_list_of_request_times(citizen, settings):
    """DRF's own throttle keeps every request time of the window in one cached list; ours keeps
    one integer per token whose window opens with its first request."""
    from django.core.cache import cache

    from portal.models import ApiToken

    settings.API_TOKEN_RATE = "5/hour"
    client = client_for(citizen)
    assert [client.get(DOSSIERS).status_code for _ in range(5)] == [200] * 5
    token = ApiToken.objects.get(user=citizen)
    assert cache.get(f"throttle_token_{token.pk}") == 5
    response = client.get(DOSSIERS)
    assert response.status_code == 429
    assert 3500 < int(response["Retry-After"]) <= 3600  # the hour that began with the first request


# --- audit ----------------------------------------------------------------------------------------


def test_every_token_write_is_audited_reads_are_not(citizen, receiver):
    client = client_for(citizen, scopes=["webhooks"])
    client.get(WEBHOOKS)
    response = client.post(
        WEBHOOKS, {"url": receiver.url, "events": ["dossier.status_changed"]}, format="json", REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 201
    client.post(WEBHOOKS, {"url": "x"}, format="json")
    records = list(ApiAuditRecord.objects.order_by("created_at", "pk"))
    assert [(r.method, r.path, r.status_code) for r in records] == [("POST", WEBHOOKS, 201), ("POST", WEBHOOKS, 400)]
    assert records[0].user == citizen and records[0].ip_address == "10.1.2.3" and records[0].token is not None
    assert records[0].token_prefix.startswith("dvc_")


# --- idempotency ------------------------------------------------------------------------------------


def test_idempotency_key_replays_the_first_response(citizen, receiver):
    client = client_for(citizen, scopes=["webhooks"])
    body = {"url": receiver.url, "events": ["dossier.status_changed"]}
    first = client.post(WEBHOOKS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(WEBHOOKS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert WebhookSubscription.objects.count() == 1
    other = client.post(WEBHOOKS, {**body, "description": "khác"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    _error(other, 422, "idempotency_key_reused")
    # Keys belong to their caller: another token with the same key creates its own.
    assert (
        client_for(citizen, scopes=["webhooks"])
        .post(WEBHOOKS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        .json()["id"]
        != first.json()["id"]
    )
    _error(client.post(WEBHOOKS, body, format="json", HTTP_IDEMPOTENCY_KEY="k" * 65), 400, "invalid")


def test_failed_requests_are_not_replayed(citizen, receiver):
    client = client_for(citizen, scopes=["webhooks"])
    assert client.post(WEBHOOKS, {"url": "bad"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 400
    body = {"url": receiver.url, "events": ["payment.settled"]}
    assert client.post(WEBHOOKS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-3").status_code == 201


# --- ETag -------------------------------------------------------------------------------------------


def test_detail_has_an_etag_and_answers_304(citizen):
    dossier = DossierFactory(applicant=citizen, received=True)
    client = client_for(citizen)
    first = client.get(f"{DOSSIERS}{dossier.code}/")
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    unchanged = client.get(f"{DOSSIERS}{dossier.code}/", HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged.content == b""
    Dossier.objects.filter(pk=dossier.pk).update(applicant_name="Tên mới")
    changed = client.get(f"{DOSSIERS}{dossier.code}/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


# --- pagination, filtering, ordering ------------------------------------------------------------------


def test_dossier_list_paginates_filters_and_orders(citizen):
    received = DossierFactory.create_batch(3, applicant=citizen, received=True)
    DossierFactory.create_batch(2, applicant=citizen)
    client = client_for(citizen)
    body = client.get(DOSSIERS, {"page_size": 2}).json()
    assert body["count"] == 5 and len(body["results"]) == 2 and body["previous"] is None
    assert "page=2" in body["next"]
    body = client.get(DOSSIERS, {"status_code": 2, "ordering": "code"}).json()
    assert [r["code"] for r in body["results"]] == sorted(d.code for d in received)
    body = client.get(DOSSIERS, {"status_code": 2, "ordering": "-code"}).json()
    assert [r["code"] for r in body["results"]] == sorted((d.code for d in received), reverse=True)
    error = _error(client.get(DOSSIERS, {"ordering": "applicant_email"}), 400)
    assert "ordering" in error["fields"]
    assert "submitted_after" in _error(client.get(DOSSIERS, {"submitted_after": "hôm qua"}), 400)["fields"]
    assert "page_size" in _error(client.get(DOSSIERS, {"page_size": "0"}), 400)["fields"]
    _error(client.get(DOSSIERS, {"page": "99"}), 404, "not_found")


def test_the_submission_window_takes_instants_in_any_offset_and_refuses_impossible_ones(citizen):
    """An instant in any real time zone selects the same dossiers; an offset no zone has (which
    PostgreSQL refuses) and an instant past year 9999 in UTC are the caller's mistakes: a 400
    naming the field, in Vietnamese or English, and nothing sent to the database."""
    dossier = DossierFactory(applicant=citizen, received=True)
    client = client_for(citizen)
    utc = dossier.submitted_at.astimezone(datetime.UTC)
    for offset in ("+0700", "-1200", "+1400", "+0000"):
        at = utc.astimezone(datetime.datetime.strptime(offset, "%z").tzinfo).isoformat()
        assert [r["code"] for r in client.get(DOSSIERS, {"submitted_after": at}).json()["results"]] == [dossier.code]
        assert client.get(DOSSIERS, {"submitted_before": at}).json()["count"] == 0
    cases = {
        "2025-07-01T08:00:00+20:00": ("Độ lệch múi giờ phải trong khoảng", "time zone offset must be between"),
        "2025-07-01T08:00:00-15:30": ("Độ lệch múi giờ phải trong khoảng", "time zone offset must be between"),
        "0001-01-01T00:00:00+14:00": ("từ năm 1 đến năm 9999", "between year 1 and year 9999"),
        "9999-12-31T23:59:59-12:00": ("từ năm 1 đến năm 9999", "between year 1 and year 9999"),
    }
    for value, (vietnamese, english) in cases.items():
        for field in ("submitted_after", "submitted_before"):
            with CaptureQueriesContext(connection) as queries:
                error = _error(client.get(DOSSIERS, {field: value}), 400)
            assert vietnamese in " ".join(error["fields"][field]), error
            assert not [q for q in queries.captured_queries if "dossiers_dossier" in q["sql"]]
            english_error = _error(client.get(DOSSIERS, {field: value}, HTTP_ACCEPT_LANGUAGE="en"), 400)
            assert english in " ".join(english_error["fields"][field]), english_error


# --- organisation tokens --------------------------------------------------------------------------------


def test_an_organisation_token_acts_for_it_until_its_owner_leaves(citizen):
    membership = OrganisationMembershipFactory(user=citizen, role=OrganisationRole.OWNER)
    organisation = membership.organisation
    client = client_for(citizen, scopes=["webhooks", "dossiers:read"], organisation=organisation)
    response = client.post(WEBHOOKS, {"url": "http://127.0.0.1:9/x", "events": ["payment.settled"]}, format="json")
    assert response.status_code == 201 and response.json()["organisation"] == organisation.pk
    other = OrganisationMembershipFactory(user=citizen).organisation
    refused = client.post(
        WEBHOOKS,
        {"url": "http://127.0.0.1:9/x", "events": ["payment.settled"], "organisation": other.pk},
        format="json",
    )
    assert "organisation" in _error(refused, 400)["fields"]
    other_owner = OrganisationMembershipFactory(organisation=organisation, role=OrganisationRole.OWNER).user
    organisation_remove_member(actor=other_owner, organisation=organisation, member=citizen)
    _error(client.get(DOSSIERS), 401)


def test_only_an_owner_creates_an_organisation_token(citizen):
    from django.core.exceptions import ValidationError

    membership = OrganisationMembershipFactory(user=citizen, role=OrganisationRole.MEMBER)
    with pytest.raises(ValidationError):
        client_for(citizen, organisation=membership.organisation)
