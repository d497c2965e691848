"""Builders of the payment tests: a dossier submitted through the services (waiting for its fee
when the version charges one at submission), a payment started on it, and the gateway's signed answer."""

from django.utils import timezone

from dossiers import gateway, services
from dossiers.services import payments
from procedures.constants import ServiceLevel
from tests.dossiers.factories import OnlineVersionFactory, make_pdf
from tests.factories import UserFactory
from tests.procedures.factories import FeeFactory


def _submitted(version, user):
    draft = services.dossier_draft_create(user=user, procedure_code=version.procedure.code)
    services.dossier_draft_update(user=user, dossier=draft, data={"full_name": "Nguyễn Văn An"})
    services.dossier_document_upload(
        user=user, dossier=draft, requirement_id=version.documents.get().pk, name="to_khai.pdf", content=make_pdf()
    )
    dossier, _pin = services.dossier_submit(user=user, dossier_id=draft.pk, declaration=True)
    return dossier


def _waiting():
    version = OnlineVersionFactory(service_level=ServiceLevel.FULL)
    FeeFactory(version=version, amount=15000, description="Lệ phí")
    citizen = UserFactory()
    return _submitted(version, citizen), citizen


def _start(dossier, user):
    return payments.payment_start(
        user=user, dossier_id=dossier.pk, return_url="http://testserver/payments/return/", client_ip="10.0.0.1"
    )


def gateway_result(payment, *, amount=None, paid=True, secret=None, **extra):
    """The parameters the gateway sends back, signed as it signs them."""
    from django.conf import settings

    params = {
        "vnp_TmnCode": settings.PAYMENT_MERCHANT_CODE,
        "vnp_TxnRef": payment.reference,
        "vnp_Amount": gateway.to_gateway_amount(payment.amount if amount is None else amount),
        "vnp_OrderInfo": "Thanh toan",
        "vnp_BankCode": "NCB",
        "vnp_PayDate": gateway.gateway_time(timezone.now()),
        "vnp_TransactionNo": "14123456",
        "vnp_ResponseCode": "00" if paid else "24",
        "vnp_TransactionStatus": "00" if paid else "02",
        **extra,
    }
    return gateway.signed(params, secret or settings.PAYMENT_SECRET)
