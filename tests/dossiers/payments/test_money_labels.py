"""Fees, payments and refunds name their amount in the one money format (issue 19):
"8.000 đ", never "8,000 đ"."""

from django.utils import translation

from dossiers.models import Payment, PaymentRefund
from dossiers.models.payment import PaymentStatus
from procedures.models import Fee


def test_a_fee_reads_its_amount_with_dots():
    with translation.override("vi"):
        assert str(Fee(description="Lệ phí đăng ký", amount=8000)) == "Lệ phí đăng ký: 8.000 đ"
        assert str(Fee(description="Phí", amount=1234567)) == "Phí: 1.234.567 đ"


def test_a_payment_and_its_refund_read_their_amount_with_dots():
    payment = Payment(reference="KS-0001", amount=16000, status=PaymentStatus.SUCCEEDED)
    with translation.override("vi"):
        assert str(payment) == f"KS-0001 (16.000 đ, {payment.get_status_display()})"
        assert str(PaymentRefund(payment=payment, amount=8000)) == "KS-0001: -8.000 đ"
    with translation.override("en"):
        assert str(PaymentRefund(payment=payment, amount=8000)) == "KS-0001: -VND 8,000"
