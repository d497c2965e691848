"""The payment flow end to end over HTTP with the sandbox gateway, concurrent IPNs, reconciliation, API."""

import datetime as dt
import threading
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from dossiers import gateway
from dossiers.constants import DossierState
from dossiers.models import Dossier, Payment
from dossiers.models.payment import PaymentStatus
from dossiers.services import payments
from procedures.constants import ServiceLevel
from sandbox_gateway.views import transaction_record
from tests.dossiers.factories import OnlineVersionFactory
from tests.dossiers.payments.factories import _start, _waiting, gateway_result
from tests.factories import UserFactory
from tests.procedures.factories import FeeFactory


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_ipns_settle_once():
    dossier, citizen = _waiting()
    payment, _url = _start(dossier, citizen)
    params = gateway_result(payment)
    answers, barrier = [], threading.Barrier(4)

    def deliver():
        barrier.wait()
        try:
            answers.append(payments.payment_ipn(params=params)[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == ["00", "02", "02", "02"]
    dossier.refresh_from_db()
    assert dossier.state == DossierState.SUBMITTED
    assert dossier.events.filter(action="payment_received").count() == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED


@pytest.fixture
def sandbox(live_server, settings):
    settings.PAYMENT_GATEWAY_URL = f"{live_server.url}/sandbox-gateway"
    return live_server


def _order_params(payment):
    return {
        "vnp_TmnCode": "PORTALSANDBOX",
        "vnp_TxnRef": payment.reference,
        "vnp_Amount": gateway.to_gateway_amount(payment.amount),
        "vnp_OrderInfo": "Thanh toan",
    }


@pytest.mark.django_db(transaction=True)
def test_reconciliation_settles_a_payment_whose_ipn_was_lost(sandbox):
    dossier, citizen = _waiting()
    payment, _url = _start(dossier, citizen)
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - dt.timedelta(minutes=20))
    transaction_record(params=_order_params(payment), paid=True)
    counts = payments.payment_reconcile()
    assert counts["succeeded"] == 1
    payment.refresh_from_db()
    dossier.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.check_attempts == 1
    assert dossier.state == DossierState.SUBMITTED
    assert payments.payment_reconcile()["checked"] == 0  # nothing left pending


@pytest.mark.django_db(transaction=True)
def test_reconciliation_leaves_young_payments_and_expires_unknown_old_ones(sandbox):
    dossier, citizen = _waiting()
    payment, _url = _start(dossier, citizen)
    assert payments.payment_reconcile()["checked"] == 0  # younger than 15 minutes
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert payments.payment_reconcile()["expired"] == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.EXPIRED


@pytest.mark.django_db
def test_an_unreachable_gateway_leaves_the_payment_pending_with_the_error(settings):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.PAYMENT_GATEWAY_URL = f"http://127.0.0.1:{port}"
    dossier, citizen = _waiting()
    payment, _url = _start(dossier, citizen)
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - dt.timedelta(minutes=20))
    assert payments.payment_reconcile()["unreachable"] == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and payment.last_error and payment.check_attempts == 1


@pytest.mark.django_db(transaction=True)
def test_pay_in_the_sandbox_over_http(sandbox, client):
    """Pages: start, the sandbox's payment page, the IPN it sends over HTTP, the return page."""
    dossier, citizen = _waiting()
    client.force_login(citizen)
    host = urlsplit(sandbox.url).netloc
    response = client.post(f"/dossiers/{dossier.code}/pay/", HTTP_HOST=host)
    assert response.status_code == 302 and response.url.startswith(sandbox.url + "/sandbox-gateway/")
    page = client.get(response.url.removeprefix(sandbox.url), HTTP_HOST=host)
    assert "15.000 đồng" in page.content.decode()
    form = dict(parse_qsl(urlsplit(response.url).query))
    back = client.post("/sandbox-gateway/paymentv2/vpcpay.html", {**form, "action": "pay"}, HTTP_HOST=host)
    assert back.status_code == 302 and "/payments/return/?" in back.url
    dossier.refresh_from_db()
    assert dossier.state == DossierState.SUBMITTED  # settled by the IPN, before the browser came back
    shown = client.get(back.url.removeprefix(sandbox.url), HTTP_HOST=host)
    assert "Đã thanh toán thành công" in shown.content.decode()
    # A forged return (changed amount) is refused and changes nothing.
    forged = client.get("/payments/return/?vnp_TxnRef=x&vnp_Amount=1&vnp_SecureHash=00", HTTP_HOST=host)
    assert forged.status_code == 400


@pytest.mark.django_db
def test_ipn_view_answers_the_protocol_json(client):
    dossier, citizen = _waiting()
    payment, _url = _start(dossier, citizen)
    response = client.get("/payments/ipn/", gateway_result(payment))
    assert response.json() == {"RspCode": "00", "Message": "Confirm Success"}
    assert client.get("/payments/ipn/", {"vnp_TxnRef": payment.reference}).json()["RspCode"] == "97"


# --- API ----------------------------------------------------------------------------------------


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.mark.django_db
def test_api_payments_start_status_and_receipt(api):
    dossier, citizen = _waiting()
    api.force_authenticate(citizen)
    body = api.get(f"/api/v1/dossiers/{dossier.code}/payments/").json()
    assert body["waiting_for"] == "at_submission" and body["fees"]["phases"]["at_submission"]["due"] == 15000
    started = api.post(f"/api/v1/dossiers/{dossier.code}/payments/")
    assert started.status_code == 201
    assert started.json()["redirect_url"].startswith("http://testserver/sandbox-gateway/paymentv2/vpcpay.html?")
    payment = Payment.objects.get()
    payments.payment_ipn(params=gateway_result(payment))
    body = api.get(f"/api/v1/dossiers/{dossier.code}/payments/").json()
    assert body["payments"][0]["status"] == "succeeded" and body["waiting_for"] is None
    again = api.post(f"/api/v1/dossiers/{dossier.code}/payments/")
    assert again.status_code == 409 and again.json()["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "stranger"])
def test_api_payments_are_the_applicants_only(api, who):
    dossier, _citizen = _waiting()
    if who == "stranger":
        api.force_authenticate(UserFactory())
    assert api.get(f"/api/v1/dossiers/{dossier.code}/payments/").status_code in (401, 403, 404)
    assert api.post(f"/api/v1/dossiers/{dossier.code}/payments/").status_code in (401, 403, 404)
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_api_document_store(api):
    from tests.dossiers.factories import StoredDocumentFactory

    mine = StoredDocumentFactory(result_code="X-KQ1", source="result")
    other = StoredDocumentFactory()
    api.force_authenticate(mine.owner)
    listing = api.get("/api/v1/documents/").json()
    assert [d["id"] for d in listing["results"]] == [mine.pk]
    detail = api.get(f"/api/v1/documents/{mine.pk}/").json()
    assert detail["result_code"] == "X-KQ1" and detail["url"].endswith(f"/files/documents/{mine.pk}/")
    assert api.get(f"/api/v1/documents/{other.pk}/").status_code == 404
    assert Dossier.objects.count() == 0


@pytest.mark.django_db
def test_review_page_shows_fees_and_keeps_a_bad_delivery_choice_from_submitting(client):
    from tests.dossiers.factories import make_pdf

    version = OnlineVersionFactory(service_level=ServiceLevel.FULL)
    FeeFactory(version=version, amount=15000, description="Lệ phí cấp giấy")
    citizen = UserFactory()
    from dossiers import services

    draft = services.dossier_draft_create(user=citizen, procedure_code=version.procedure.code)
    services.dossier_draft_update(user=citizen, dossier=draft, data={"full_name": "Nguyễn Văn An"})
    services.dossier_document_upload(
        user=citizen, dossier=draft, requirement_id=version.documents.get().pk, name="a.pdf", content=make_pdf()
    )
    client.force_login(citizen)
    page = client.get(f"/dossiers/drafts/{draft.pk}/review/").content.decode()
    assert "Lệ phí cấp giấy" in page and "thanh toán trực tuyến 15.000 đồng" in page
    bad = client.post(f"/dossiers/drafts/{draft.pk}/review/", {"declaration": "on", "delivery_method": "post"})
    assert bad.status_code == 400 and "Vui lòng nhập địa chỉ nhận kết quả qua bưu chính." in bad.content.decode()
    draft.refresh_from_db()
    assert draft.state == DossierState.DRAFT
    good = client.post(
        f"/dossiers/drafts/{draft.pk}/review/",
        {
            "declaration": "on",
            "delivery_method": "post",
            "delivery_recipient": "Nguyễn Văn An",
            "delivery_phone": "0912345678",
            "delivery_address": "12 Lê Lợi, phường Bến Thành",
        },
    )
    assert good.status_code == 302
    draft.refresh_from_db()
    assert draft.state == DossierState.PAYMENT_REQUESTED and draft.delivery.method == "post"
    # The confirmation offers the payment at once (issue 19), and so does “Việc bạn cần làm”.
    submitted = client.get(good["Location"]).content.decode()
    pay_action = f'action="/dossiers/{draft.code}/pay/"'
    assert 'id="submitted-pay-button"' in submitted and pay_action in submitted
    assert "Thanh toán trực tuyến 15.000 đồng" in submitted
    detail = client.get(f"/dossiers/{draft.code}/").content.decode()
    assert 'id="pay-button"' in detail and "Qua dịch vụ bưu chính" in detail
    assert 'id="expected-pay-button"' in detail and detail.count(pay_action) == 2
