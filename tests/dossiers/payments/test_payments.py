"""Fees, the payment protocol, the IPN (forged, replayed, changed amount, unknown, duplicate), refunds, delivery."""

import datetime as dt
import io
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pypdf import PdfReader

from dossiers import gateway, services
from dossiers.constants import DocumentSource, DossierState
from dossiers.models import DossierEvent, Payment, PaymentCallback, StoredDocument
from dossiers.models.payment import PaymentStatus
from dossiers.services import payments
from portal.constants import OfficerRole
from procedures.constants import ServiceLevel
from tests.dossiers.factories import OnlineVersionFactory
from tests.dossiers.payments.factories import _start, _submitted, gateway_result
from tests.factories import UserFactory
from tests.procedures.factories import FeeFactory

pytestmark = pytest.mark.django_db

SECRET = "SECRETKEY0123456789"  # noqa: S105 - a test vector


# --- the protocol, against vectors written here -------------------------------------------------

VECTOR = {
    "vnp_Version": "2.1.0",
    "vnp_Command": "pay",
    "vnp_TmnCode": "DVCTEST1",
    "vnp_Amount": "1500000",
    "vnp_CurrCode": "VND",
    "vnp_TxnRef": "HS42T20251120103000AB12CD",
    "vnp_OrderInfo": "Thanh toan phi ho so 000.00.12.H48-251120-0001",
    "vnp_ReturnUrl": "https://dvc.example.vn/payments/return/",
    "vnp_CreateDate": "20251120103000",
    "vnp_BankCode": "",  # empty values are not signed
}
VECTOR_QUERY = (
    "vnp_Amount=1500000&vnp_Command=pay&vnp_CreateDate=20251120103000&vnp_CurrCode=VND"
    "&vnp_OrderInfo=Thanh+toan+phi+ho+so+000.00.12.H48-251120-0001"
    "&vnp_ReturnUrl=https%3A%2F%2Fdvc.example.vn%2Fpayments%2Freturn%2F&vnp_TmnCode=DVCTEST1"
    "&vnp_TxnRef=HS42T20251120103000AB12CD&vnp_Version=2.1.0"
)
VECTOR_HASH = (
    "64614eb5088ed73f6a3929d3321080ed3afb2f4bb806ebf3a793adae55c56d1f"
    "21be1a3ea22def6755328ff5119377b383845b2a6c231f2b71a2ea3aff1b6bf0"
)


def test_canonical_query_sorts_encodes_and_skips_empty_and_hash_fields():
    params = {**VECTOR, "vnp_SecureHash": "x", "vnp_SecureHashType": "HmacSHA512", "other": "ignored"}
    assert gateway.canonical_query(params) == VECTOR_QUERY


def test_sign_and_verify_the_known_vector():
    assert gateway.sign(VECTOR, SECRET) == VECTOR_HASH
    assert gateway.verify({**VECTOR, "vnp_SecureHash": VECTOR_HASH.upper()}, SECRET)
    assert not gateway.verify({**VECTOR, "vnp_SecureHash": VECTOR_HASH}, SECRET + "x")
    assert not gateway.verify({**VECTOR, "vnp_Amount": "1500100", "vnp_SecureHash": VECTOR_HASH}, SECRET)
    assert not gateway.verify(VECTOR, SECRET)  # no hash at all


def test_query_api_hash_is_over_the_pipe_joined_fields():
    body = {"vnp_RequestId": "a", "vnp_Version": "b", "vnp_TmnCode": "c"}
    assert gateway.pipe_hash(body, ("vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode"), SECRET) == (
        "3756b54b2581c1753001500957bfdb644f487a2bb7723b321750153c6302d847"
        "302335a263c9b933db6f41d5ac57e9a02d4f459b6d5a8078807c997af92970d8"
    )


def test_amounts_are_in_hundredths_and_bad_ones_are_refused():
    assert gateway.to_gateway_amount(15000) == "1500000"
    assert gateway.from_gateway_amount("1500000") == 15000
    assert gateway.from_gateway_amount("1500050") is None
    assert gateway.from_gateway_amount("abc") is None
    assert gateway.from_gateway_amount("-100") is None


def test_amount_in_words_is_vietnamese():
    assert payments.amount_in_words(215000) == "Hai trăm mười lăm nghìn đồng"


# --- fees and the payment-at-submission gate ----------------------------------------------------


@pytest.fixture
def full_version():
    version = OnlineVersionFactory(service_level=ServiceLevel.FULL)
    FeeFactory(version=version, amount=15000, description="Lệ phí cấp giấy xác nhận", order=1)
    FeeFactory(version=version, amount=5000, description="Phí cấp bản sao", order=2, collected_at="before_result")
    return version


@pytest.fixture
def waiting(full_version, citizen):
    return _submitted(full_version, citizen)


def test_fees_are_computed_by_phase(waiting):
    fees = payments.dossier_fees(dossier=waiting)
    assert fees["total"] == 20000
    assert fees["phases"]["at_submission"] == {"total": 15000, "paid": 0, "due": 15000}
    assert fees["phases"]["before_result"]["due"] == 5000
    assert [line["description"] for line in fees["lines"]] == ["Lệ phí cấp giấy xác nhận", "Phí cấp bản sao"]


def test_a_full_online_dossier_waits_for_payment_before_reception(waiting):
    assert waiting.state == DossierState.PAYMENT_REQUESTED
    assert waiting.status_code == 6
    assert waiting.resume_state == DossierState.SUBMITTED
    assert waiting.events.get().payload == {"payment_due": 15000}


def test_a_partial_dossier_pays_at_the_counter_and_goes_straight_to_reception(citizen):
    version = OnlineVersionFactory(service_level=ServiceLevel.PARTIAL)
    FeeFactory(version=version, amount=15000)
    assert _submitted(version, citizen).state == DossierState.SUBMITTED


def test_a_free_full_dossier_goes_straight_to_reception(citizen):
    assert _submitted(OnlineVersionFactory(service_level=ServiceLevel.FULL), citizen).state == DossierState.SUBMITTED


# --- IPN ------------------------------------------------------------------------------------------


def test_the_redirect_url_is_signed_for_the_gateway(waiting, citizen, settings):
    payment, url = _start(waiting, citizen)
    assert url.startswith(settings.PAYMENT_GATEWAY_URL + gateway.PAY_PATH + "?")
    params = dict(parse_qsl(urlsplit(url).query))
    assert gateway.verify(params, settings.PAYMENT_SECRET)
    assert params["vnp_Amount"] == "1500000" and params["vnp_TxnRef"] == payment.reference
    assert payment.amount == 15000 and payment.status == PaymentStatus.PENDING
    # Starting again within 15 minutes resumes the same order instead of opening a second one.
    again, _url = _start(waiting, citizen)
    assert again.pk == payment.pk


def test_ipn_settles_issues_the_receipt_and_sends_the_dossier_to_reception(
    waiting, citizen, django_capture_on_commit_callbacks
):
    payment, _url = _start(waiting, citizen)
    with django_capture_on_commit_callbacks(execute=True):
        assert payments.payment_ipn(params=gateway_result(payment)) == ("00", "Confirm Success")
    payment.refresh_from_db()
    waiting.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.gateway_transaction_no == "14123456"
    assert waiting.state == DossierState.SUBMITTED and waiting.resume_state == ""
    event = waiting.events.order_by("-seq").first()
    assert event.action == "payment_received" and event.actor is None
    assert event.payload["reference"] == payment.reference and event.payload["online"] is True
    receipt = payment.receipt
    assert receipt.source == DocumentSource.RECEIPT and receipt.owner == citizen
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(receipt.file.read())).pages)
    assert "Mười lăm nghìn đồng" in text and payment.reference in text and waiting.code in text
    assert services.events_verify(codes=[waiting.code]) == []


def test_a_replayed_ipn_changes_nothing_twice(waiting, citizen, django_capture_on_commit_callbacks):
    payment, _url = _start(waiting, citizen)
    params = gateway_result(payment)
    with django_capture_on_commit_callbacks(execute=True):
        assert payments.payment_ipn(params=params)[0] == "00"
    events = DossierEvent.objects.filter(dossier=waiting).count()
    receipts = StoredDocument.objects.filter(source=DocumentSource.RECEIPT).count()
    with django_capture_on_commit_callbacks(execute=True):
        assert payments.payment_ipn(params=params)[0] == "02"
        assert payments.payment_ipn(params=gateway_result(payment, paid=False))[0] == "02"
    assert DossierEvent.objects.filter(dossier=waiting).count() == events
    assert StoredDocument.objects.filter(source=DocumentSource.RECEIPT).count() == receipts == 1
    assert PaymentCallback.objects.filter(payment=payment).count() == 3


def test_a_forged_ipn_is_refused_and_recorded(waiting, citizen):
    payment, _url = _start(waiting, citizen)
    assert payments.payment_ipn(params=gateway_result(payment, secret="not-the-secret"))[0] == "97"
    tampered = {**gateway_result(payment), "vnp_TransactionNo": "999"}
    assert payments.payment_ipn(params=tampered, remote_addr="203.0.113.9")[0] == "97"
    payment.refresh_from_db()
    waiting.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and waiting.state == DossierState.PAYMENT_REQUESTED
    callback = PaymentCallback.objects.order_by("-pk").first()
    assert not callback.signature_valid and callback.answer_code == "97" and callback.remote_addr == "203.0.113.9"


def test_a_changed_amount_is_refused(waiting, citizen):
    payment, _url = _start(waiting, citizen)
    assert payments.payment_ipn(params=gateway_result(payment, amount=1000))[0] == "04"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_an_unknown_order_reference_is_refused(waiting, citizen):
    payment, _url = _start(waiting, citizen)
    params = gateway_result(payment, vnp_TxnRef="HS0T20250101000000FFFFFF")
    assert payments.payment_ipn(params=params)[0] == "01"
    assert PaymentCallback.objects.get(reference="HS0T20250101000000FFFFFF").answer_code == "01"


def test_a_cancelled_payment_fails_and_can_be_retried(waiting, citizen):
    payment, _url = _start(waiting, citizen)
    assert payments.payment_ipn(params=gateway_result(payment, paid=False))[0] == "00"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    second, _url = _start(waiting, citizen)
    assert second.pk != payment.pk


def test_a_second_charge_for_an_already_paid_phase_is_kept_for_refund(waiting, citizen):
    first, _url = _start(waiting, citizen)
    # The applicant opened a second attempt (e.g. the first page expired) and both got paid.
    Payment.objects.filter(pk=first.pk).update(created_at=timezone.now() - dt.timedelta(minutes=30))
    second, _url = _start(waiting, citizen)
    assert second.pk != first.pk
    assert payments.payment_ipn(params=gateway_result(second))[0] == "00"
    assert payments.payment_ipn(params=gateway_result(first))[0] == "00"
    first.refresh_from_db()
    assert first.status == PaymentStatus.DUPLICATE
    assert payments.dossier_fees(dossier=waiting)["phases"]["at_submission"]["paid"] == 15000


def test_nothing_to_pay_or_wrong_state_is_explained(citizen):
    dossier = _submitted(OnlineVersionFactory(service_level=ServiceLevel.FULL), citizen)
    with pytest.raises(ValidationError, match="không ở trạng thái chờ thanh toán"):
        _start(dossier, citizen)


def test_an_unconfigured_gateway_is_explained(waiting, citizen, settings):
    settings.PAYMENT_SECRET = ""
    with pytest.raises(ValidationError, match="chưa sẵn sàng"):
        _start(waiting, citizen)
    assert not Payment.objects.exists()


def test_payment_before_the_result_resumes_processing(full_version, citizen, officer_factory):
    from tests.dossiers.factories import DossierFactory

    dossier = DossierFactory(
        procedure_version=full_version, procedure=full_version.procedure, applicant=citizen, processing=True
    )
    reception = officer_factory(OfficerRole.RECEPTION, agency=dossier.receiving_agency)
    services.dossier_request_payment(user=reception, dossier_id=dossier.pk)
    payment, _url = _start(dossier, citizen)
    assert payment.amount == 5000 and payment.phase == "before_result"
    assert payments.payment_ipn(params=gateway_result(payment))[0] == "00"
    dossier.refresh_from_db()
    assert dossier.state == DossierState.PROCESSING and dossier.paused_at is None


# --- who may do what ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["stranger", "reception"])
def test_only_the_applicant_side_starts_a_payment(waiting, who, officer_factory):
    user = (
        UserFactory() if who == "stranger" else officer_factory(OfficerRole.RECEPTION, agency=waiting.receiving_agency)
    )
    with pytest.raises(PermissionDenied):
        _start(waiting, user)


@pytest.fixture
def paid(waiting, citizen):
    payment, _url = _start(waiting, citizen)
    payments.payment_ipn(params=gateway_result(payment))
    payment.refresh_from_db()
    return payment


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("reception", True), ("specialist", False), ("leader", False), ("other_agency", False), ("citizen", False)],
)
def test_refund_permission_matrix(paid, role, allowed, officer_factory):
    agency = paid.dossier.receiving_agency
    user = {
        "reception": lambda: officer_factory(OfficerRole.RECEPTION, agency=agency),
        "specialist": lambda: officer_factory(OfficerRole.SPECIALIST, agency=agency),
        "leader": lambda: officer_factory(OfficerRole.LEADER, agency=agency),
        "other_agency": lambda: officer_factory(OfficerRole.RECEPTION),
        "citizen": lambda: paid.payer,
    }[role]()
    call = lambda: payments.payment_refund(  # noqa: E731
        user=user, payment_id=paid.pk, amount=15000, reason="Hồ sơ bị từ chối tiếp nhận", reference="HT-01"
    )
    if allowed:
        call()
        paid.refresh_from_db()
        assert paid.status == PaymentStatus.REFUNDED
        assert paid.dossier.events.order_by("-seq").first().action == "payment_refunded"
    else:
        with pytest.raises(PermissionDenied):
            call()
        assert not paid.refunds.exists()


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        (0, "Hồ sơ bị từ chối tiếp nhận", "số nguyên dương"),
        (20000, "Hồ sơ bị từ chối", "vượt quá"),
        ("abc", "Hồ sơ bị từ chối", "số nguyên dương"),
        (1000, "ngắn", "lý do"),
    ],
)
def test_bad_refunds_are_explained_and_change_nothing(paid, officer_factory, amount, reason, message):
    reception = officer_factory(OfficerRole.RECEPTION, agency=paid.dossier.receiving_agency)
    with pytest.raises(ValidationError) as caught:
        payments.payment_refund(user=reception, payment_id=paid.pk, amount=amount, reason=reason)
    assert message in " ".join(m for ms in caught.value.message_dict.values() for m in ms).lower()
    assert not paid.refunds.exists()


# --- the delivery choice ------------------------------------------------------------------------


def test_delivery_by_post_needs_address_recipient_and_phone(full_version, citizen):
    draft = services.dossier_draft_create(user=citizen, procedure_code=full_version.procedure.code)
    with pytest.raises(ValidationError) as caught:
        payments.dossier_delivery_set(user=citizen, dossier=draft, method="post", phone="12")
    assert set(caught.value.message_dict) == {"delivery_recipient", "delivery_address", "delivery_phone"}
    with pytest.raises(ValidationError):
        payments.dossier_delivery_set(user=citizen, dossier=draft, method="drone")
    delivery = payments.dossier_delivery_set(
        user=citizen,
        dossier=draft,
        method="post",
        recipient="Nguyễn Văn An",
        phone="0912345678",
        address="12 Lê Lợi, phường Bến Thành, TP Hồ Chí Minh",
    )
    assert delivery.method == "post"
    with pytest.raises(PermissionDenied):
        payments.dossier_delivery_set(user=UserFactory(), dossier=draft, method="online")
