"""Filing a petition on the page and through the API: routing, bad input (a clear 400 in
Vietnamese, in English by the cookie, nothing written), the rate limit, the petitioner's notice."""

import lxml.html
import pytest
from django.core import mail

from dossiers.petitions.models import Petition, PetitionEvent
from portal.models import Notification
from tests.dossiers.helpers import api_for
from tests.petitions.conftest import CONTENT

pytestmark = pytest.mark.django_db

GOOD = {"kind": "proposal", "title": "Đề nghị đơn giản hóa giấy tờ", "content": CONTENT}


def test_a_signed_in_citizen_files_about_a_dossier_routed_to_its_agency(client, world):
    client.force_login(world.owner)
    response = client.post("/petitions/new/", {**GOOD, "dossier_code": world.dossier.code, "consent_publish": "on"})
    assert response.status_code == 201
    petition = Petition.objects.get()
    assert petition.dossier == world.dossier and petition.agency == world.agency
    assert petition.petitioner == world.owner and petition.consent_publish
    assert petition.code in response.content.decode() and world.agency.name in response.content.decode()
    assert list(PetitionEvent.objects.values_list("action", "to_state")) == [("file", "received")]
    notice = Notification.objects.get(user=world.owner, event="petition.status_changed")
    assert petition.code in notice.subject


def test_an_anonymous_citizen_files_about_a_procedure_and_is_mailed(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/petitions/new/",
            {
                **GOOD,
                "procedure_code": world.procedure.code,
                "contact_name": "Lê Văn Khách",
                "contact_email": "khach@example.vn",
            },
        )
    assert response.status_code == 201
    petition = Petition.objects.get()
    assert petition.petitioner is None and petition.agency == world.agency and petition.contact_name == "Lê Văn Khách"
    assert [m.to for m in mail.outbox] == [["khach@example.vn"]] and petition.code in mail.outbox[0].subject
    assert PetitionEvent.objects.get().mailed_at is not None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": "Ab"}, "title", "Tiêu đề phải có ít nhất 5 ký tự."),
        ({"content": "ngắn quá"}, "content", "Nội dung phải có ít nhất 20 ký tự."),
        ({"procedure_code": "0.000000"}, "procedure_code", "Không tìm thấy thủ tục có mã “0.000000”."),
        ({"procedure_code": ""}, "procedure_code", "Vui lòng chọn thủ tục hành chính"),
        ({"contact_name": ""}, "contact_name", "Vui lòng nhập họ và tên người gửi"),
        ({"contact_phone": "", "contact_email": ""}, "contact_phone", "Vui lòng nhập số điện thoại hoặc thư điện tử"),
        ({"contact_phone": "12ab"}, "contact_phone", "Số điện thoại không hợp lệ"),
        ({"contact_email": "khong-phai-thu"}, "contact_email", "Địa chỉ thư điện tử không hợp lệ."),
        ({"kind": "khac"}, "kind", "Hãy chọn một lựa chọn hợp lệ."),
    ],
)
def test_bad_input_is_refused_in_vietnamese_and_nothing_is_written(client, world, data, field, message):
    base = {
        **GOOD,
        "procedure_code": world.procedure.code,
        "contact_name": "Lê Văn Khách",
        "contact_phone": "0912345678",
    }
    response = client.post("/petitions/new/", {**base, **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Petition.objects.exists() and not PetitionEvent.objects.exists()


def test_bad_input_in_english_by_the_language_cookie(client, world):
    client.cookies["django_language"] = "en"
    response = client.post("/petitions/new/", {**GOOD, "procedure_code": world.procedure.code, "contact_name": "X"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Please enter the sender’s full name" in body and "Vui lòng" not in body
    assert not Petition.objects.exists()


def test_another_persons_dossier_is_not_found(client, world):
    client.force_login(world.other)
    response = client.post("/petitions/new/", {**GOOD, "dossier_code": world.dossier.code})
    assert response.status_code == 400
    assert f"Không tìm thấy hồ sơ “{world.dossier.code}” trong các hồ sơ của bạn." in response.content.decode()
    assert not Petition.objects.exists()


def test_the_filing_limit_answers_429(client, world, settings):
    settings.PETITION_RATE_LIMIT = 2
    data = {
        **GOOD,
        "procedure_code": world.procedure.code,
        "contact_name": "Lê Văn Khách",
        "contact_phone": "0912345678",
    }
    assert [client.post("/petitions/new/", data).status_code for _ in range(2)] == [201, 201]
    response = client.post("/petitions/new/", data)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Bạn đã gửi quá nhiều phản ánh, kiến nghị" in response.content.decode()
    assert Petition.objects.count() == 2


def test_a_citizen_files_and_reads_with_a_bearer_token(world):
    api = api_for(world.owner)
    response = api.post("/api/v1/petitions/", {**GOOD, "procedure_code": world.procedure.code}, format="json")
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    assert response.json()["agency"]["name"] == world.agency.name and response.json()["state"] == "received"
    assert [p["code"] for p in api.get("/api/v1/petitions/").json()["results"]] == [code]
    assert api.get(f"/api/v1/petitions/{code}/").json()["answer_due_at"]
    bad = api.post("/api/v1/petitions/", {**GOOD, "procedure_code": "0.000000"}, format="json")
    assert bad.status_code == 400 and "procedure_code" in bad.json()["error"]["fields"]
    assert Petition.objects.count() == 1


def test_the_api_answers_bad_input_in_english_by_the_header(world):
    api = api_for(world.owner)
    response = api.post(
        "/api/v1/petitions/", {**GOOD, "procedure_code": "0.000000"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["procedure_code"] == ["No procedure has the code “0.000000”."]
    assert not Petition.objects.exists()


def test_the_anonymous_petitioners_mail_is_sent_once(world, django_capture_on_commit_callbacks):
    from dossiers.petitions import tasks
    from tests.petitions.conftest import file_one

    with django_capture_on_commit_callbacks(execute=True):
        petition = file_one(world)
    event = petition.events.get()
    assert len(mail.outbox) == 1
    assert tasks.mail_contact(event.pk) is False  # delivered again by the outbox: nothing more
    assert len(mail.outbox) == 1


def test_a_retry_with_the_same_idempotency_key_files_once(world):
    api = api_for(world.owner)
    body = {**GOOD, "procedure_code": world.procedure.code}
    first = api.post("/api/v1/petitions/", body, format="json", HTTP_IDEMPOTENCY_KEY="pakn-1")
    again = api.post("/api/v1/petitions/", body, format="json", HTTP_IDEMPOTENCY_KEY="pakn-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["code"] == again.json()["code"] and Petition.objects.count() == 1


def test_a_refused_petition_has_the_error_summary_and_the_sender_fields_their_autofill(client, world):
    """Issue 19: "Lỗi: " in the title, a focused summary linking each field (a radio group to its
    first radio), and the anonymous sender's own contact fields with their autofill tokens."""
    page = client.get("/petitions/new/").content.decode()
    assert 'id="error-summary"' not in page
    form = lxml.html.fromstring(page)
    for name, token in (("contact_name", "name"), ("contact_phone", "tel"), ("contact_email", "email")):
        assert form.xpath(f'//input[@name="{name}"]')[0].get("autocomplete") == token, name
    response = client.post("/petitions/new/", {"title": "", "content": ""})
    assert response.status_code == 400
    tree = lxml.html.fromstring(response.content.decode())
    assert tree.findtext(".//title").startswith("Lỗi: Gửi phản ánh")
    summary = tree.get_element_by_id("error-summary")
    assert summary.get("tabindex") == "-1"
    links = [a.get("href") for a in summary.iter("a")]
    assert {"#id_kind_0", "#id_title", "#id_content"} <= set(links), links
    for href in links:
        assert tree.get_element_by_id(href[1:]) is not None, href
