"""Public tracking pages: /track/ (code, optional PIN, QR landing) and /track/bulk/ (many codes, CSV)."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dossiers.services import event_append, tracking_url
from portal.constants import OrganisationRole
from portal.services import organisation_remove_member
from tests.dossiers.factories import TEST_PIN, DossierDocumentFactory, DossierFactory
from tests.factories import OrganisationMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TRACK = "/track/"
BULK = "/track/bulk/"
SECRETS = ("Lê Văn Riêng Tư", "001099000001", "0987654321", "Số 1 Đường Bí Mật")


@pytest.fixture
def dossier(db):
    document = DossierDocumentFactory(
        dossier=DossierFactory(
            applicant_name=SECRETS[0],
            applicant_id_number=SECRETS[1],
            applicant_phone=SECRETS[2],
            applicant_address=SECRETS[3],
            received=True,
        )
    )
    dossier = document.dossier
    event_append(dossier=dossier, action="submit", actor=dossier.applicant, from_state="draft", to_state="submitted")
    event_append(dossier=dossier, action="receive", from_state="submitted", to_state="received")
    return dossier


def _no_secrets(html: str, dossier) -> None:
    for secret in (*SECRETS, dossier.applicant.email, "to_khai.pdf", "Nguyễn Văn Thử"):
        assert secret not in html, secret


def _normalised(response, code: str) -> str:
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    return html.replace(code, "CODE").replace(code.lower(), "CODE")


def test_form_without_code(client):
    response = client.get(TRACK)
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()


def test_code_alone_shows_the_public_facts_and_nothing_personal(client, dossier):
    response = client.get(TRACK, {"code": dossier.code})
    assert response.status_code == 200
    html = response.content.decode()
    assert dossier.code in html
    assert dossier.procedure_version.name in html
    assert dossier.receiving_agency.name in html
    # Status labels are for people: the national code is for officers and the API (issue 19).
    assert "Được tiếp nhận" in html and "Mã trạng thái" not in html
    assert "Nộp hồ sơ trực tuyến" in html and "Tiếp nhận hồ sơ" in html
    assert dossier.due_at.astimezone().strftime("%d/%m/%Y") in html
    _no_secrets(html, dossier)
    assert 'name="pin"' in html  # the PIN can be given next


def test_qr_landing_is_the_tracking_url_of_the_acknowledgement(client, dossier):
    url = tracking_url(dossier)
    assert url.endswith(f"/track/?code={dossier.code}")
    response = client.get(url.split("127.0.0.1:8000", 1)[-1])
    assert response.status_code == 200 and dossier.code in response.content.decode()


def test_right_pin_posted_shows_the_applicant_and_documents(client, dossier):
    response = client.post(TRACK, {"code": dossier.code, "pin": TEST_PIN})
    assert response.status_code == 200
    html = response.content.decode()
    assert SECRETS[0] in html
    assert "to_khai.pdf" in html
    assert "/files/documents/" not in html  # a PIN shows names; downloads need the account
    for hidden in SECRETS[1:]:
        assert hidden not in html


def test_pin_in_the_url_is_ignored(client, dossier):
    response = client.get(TRACK, {"code": dossier.code, "pin": TEST_PIN})
    assert response.status_code == 200
    _no_secrets(response.content.decode(), dossier)


def test_wrong_pin_and_unknown_code_answer_the_same(client, dossier):
    unknown_code = "000.00.99.T99-990101-0999"
    wrong_pin = client.post(TRACK, {"code": dossier.code, "pin": "00000000"})
    unknown = client.post(TRACK, {"code": unknown_code, "pin": TEST_PIN})
    unknown_get = client.get(TRACK, {"code": unknown_code})
    assert wrong_pin.status_code == unknown.status_code == unknown_get.status_code == 404
    assert _normalised(wrong_pin, dossier.code) == _normalised(unknown, unknown_code)
    assert "Không tìm thấy hồ sơ" in wrong_pin.content.decode()
    _no_secrets(wrong_pin.content.decode(), dossier)


def test_wrong_pin_and_unknown_code_both_check_a_pin(client, dossier, monkeypatch):
    """The same keyed-hash check runs in both cases, so they take the same time."""
    from dossiers.core import pins

    calls = []
    real = pins.pin_check
    monkeypatch.setattr(pins, "pin_check", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    client.post(TRACK, {"code": dossier.code, "pin": "00000000"})
    client.post(TRACK, {"code": "000.00.99.T99-990101-0999", "pin": "00000000"})
    assert len(calls) == 2
    assert calls[0] == dossier.tracking_pin_hash and calls[1] != dossier.tracking_pin_hash
    assert all(c.startswith(pins.PREFIX) for c in calls)


@pytest.mark.parametrize(
    ("who", "personal"),
    [("anonymous", False), ("applicant", True), ("other_citizen", False), ("org_member", True), ("removed", False)],
)
def test_signed_in_applicant_sees_personal_data_matrix(client, who, personal):
    owner = OrganisationMembershipFactory(role=OrganisationRole.OWNER)
    colleague = OrganisationMembershipFactory(organisation=owner.organisation).user
    dossier = DossierFactory(applicant=owner.user, organisation=owner.organisation, applicant_name=SECRETS[0])
    user = {
        "anonymous": None,
        "applicant": owner.user,
        "other_citizen": UserFactory(),
        "org_member": colleague,
        "removed": colleague,
    }[who]
    if who == "removed":
        organisation_remove_member(actor=owner.user, organisation=owner.organisation, member=colleague)
    if user:
        client.force_login(user)
    html = client.get(TRACK, {"code": dossier.code}).content.decode()
    assert (SECRETS[0] in html) is personal


def test_draft_is_never_found(client):
    draft = DossierFactory(draft=True)
    response = client.post(TRACK, {"code": str(draft.pk), "pin": ""})
    assert response.status_code == 404


@pytest.mark.parametrize("code", ["x" * 500, "<script>alert(1)</script>", "'; DROP TABLE dossiers_dossier; --", " "])
def test_bad_codes_never_500(client, code):
    response = client.get(TRACK, {"code": code})
    assert response.status_code in (400, 404)
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_lookups_are_rate_limited_per_address(client, dossier, settings):
    settings.TRACKING_RATE_LIMIT = 2
    settings.TRACKING_RATE_WINDOW = 3600  # no window boundary in the middle of the test
    assert client.get(TRACK, {"code": dossier.code}).status_code == 200
    assert client.post(TRACK, {"code": dossier.code, "pin": "1"}).status_code == 404
    response = client.get(TRACK, {"code": dossier.code})
    assert response.status_code == 429
    assert "quá nhiều lần" in response.content.decode()
    assert int(response["Retry-After"]) >= 1
    assert client.get(TRACK).status_code == 200  # the empty form is not a look-up
    assert client.get(TRACK, {"code": dossier.code}, REMOTE_ADDR="10.1.2.3").status_code == 200


def test_behind_a_proxy_the_forwarded_address_is_limited(client, dossier, settings):
    settings.TRACKING_RATE_LIMIT = 1
    settings.TRACKING_RATE_WINDOW = 3600
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    first = {"HTTP_X_FORWARDED_FOR": "203.0.113.7", "REMOTE_ADDR": "10.0.0.1"}
    second = {"HTTP_X_FORWARDED_FOR": "203.0.113.8", "REMOTE_ADDR": "10.0.0.1"}
    assert client.get(TRACK, {"code": dossier.code}, **first).status_code == 200
    assert client.get(TRACK, {"code": dossier.code}, **first).status_code == 429
    assert client.get(TRACK, {"code": dossier.code}, **second).status_code == 200
    # A client cannot dodge the limit by prepending addresses of its own.
    spoofed = {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.7", "REMOTE_ADDR": "10.0.0.1"}
    assert client.get(TRACK, {"code": dossier.code}, **spoofed).status_code == 429


# --- bulk tracking -----------------------------------------------------------------------------


@pytest.fixture
def business(db):
    membership = OrganisationMembershipFactory()
    return membership.user, membership.organisation


def test_bulk_requires_login(client):
    response = client.get(BULK)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_bulk_table_shows_own_and_organisation_dossiers_only(client, business):
    user, organisation = business
    own = DossierFactory(applicant=user, received=True)
    org = DossierFactory(organisation=organisation)
    foreign = DossierFactory(applicant_name=SECRETS[0])
    client.force_login(user)
    text = f"{own.code}\n{org.code.lower()}, {foreign.code};NOPE-1\n{own.code}"
    response = client.post(BULK, {"codes": text})
    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(r"<tr[^>]*>\s*<td>(.*?)</tr>", html, re.S)
    assert len(rows) == 4  # duplicates dropped, order kept
    assert own.code in rows[0] and own.procedure_version.name in rows[0] and "Được tiếp nhận" in rows[0]
    assert org.code in rows[1] and "Mới đăng ký" in rows[1]
    assert foreign.code in rows[2] and "Không tìm thấy" in rows[2]
    assert foreign.procedure_version.name not in html
    assert SECRETS[0] not in html
    assert "NOPE-1" in rows[3] and "Không tìm thấy" in rows[3]


def test_bulk_upload_csv_with_header(client, business):
    user, _organisation = business
    dossiers = DossierFactory.create_batch(3, applicant=user)
    content = "ma_ho_so,ghi_chu\n" + "\n".join(f'"{d.code}",x' for d in dossiers)
    upload = SimpleUploadedFile("ma.csv", content.encode("utf-8-sig"), content_type="text/csv")
    client.force_login(user)
    html = client.post(BULK, {"codes": "", "file": upload}).content.decode()
    assert all(d.code in html for d in dossiers)
    assert "MA_HO_SO" not in html and "Không tìm thấy" not in html


def test_bulk_query_count_does_not_grow(client, business, django_assert_max_num_queries):
    user, organisation = business
    client.force_login(user)
    few = [d.code for d in DossierFactory.create_batch(2, applicant=user)]
    many = [d.code for d in DossierFactory.create_batch(40, organisation=organisation)]
    with django_assert_max_num_queries(8) as few_queries:
        client.post(BULK, {"codes": "\n".join(few)})
    with django_assert_max_num_queries(8) as many_queries:
        response = client.post(BULK, {"codes": "\n".join(many + [f"X-{i}" for i in range(400)])})
    assert response.status_code == 200
    # (other parts of the page may cache their queries, so "no more than" rather than "as many as")
    assert len(many_queries.captured_queries) <= len(few_queries.captured_queries)


def test_bulk_over_500_codes_is_a_clear_error(client, business):
    user, _organisation = business
    client.force_login(user)
    codes = "\n".join(f"000.00.01.H99-260101-{i:04d}" for i in range(501))
    response = client.post(BULK, {"codes": codes})
    assert response.status_code == 400
    assert "tối đa 500 mã" in response.content.decode()
    assert "501" in response.content.decode()
    ok = client.post(BULK, {"codes": "\n".join(codes.splitlines()[:500])})
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"codes": "  \n , "}, "ít nhất một mã"),
        ({"file": SimpleUploadedFile("a.csv", b"\x00\x01binary")}, "văn bản"),
        ({"file": SimpleUploadedFile("a.csv", b"m\xe3 h\xf4 s\xf5")}, "UTF-8"),
        ({"file": SimpleUploadedFile("a.csv", b"A" * (1024 * 1024 + 1))}, "1 MB"),
    ],
)
def test_bulk_bad_input_is_400_in_vietnamese(client, business, data, message):
    client.force_login(business[0])
    response = client.post(BULK, data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_bulk_csv_export_is_utf8_with_bom(client, business):
    user, _organisation = business
    dossier = DossierFactory(applicant=user, received=True)
    client.force_login(user)
    response = client.post(BULK, {"codes": f"{dossier.code}\n=HYPERLINK(1)", "export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Mã hồ sơ", "Thủ tục", "Trạng thái", "Mã trạng thái", "Hạn trả kết quả"]
    assert rows[1][:4] == [dossier.code, dossier.procedure_version.name, "Được tiếp nhận", "2"]
    assert rows[1][4]
    assert rows[2][0] == "'=HYPERLINK(1)" and rows[2][2] == "Không tìm thấy"
