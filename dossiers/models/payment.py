"""Online fee payment (thanh toán trực tuyến), its callbacks and refunds, and the delivery choice.

A payment is one attempt to pay the fees of one phase of a dossier (at submission, or
before the result) through the payment gateway; its ``reference`` is the order reference
(``vnp_TxnRef``) the gateway echoes in every callback. Every callback and query answer is
kept as it came (``PaymentCallback``), valid or not, so a dispute can be replayed. At most
one payment per dossier and phase may succeed (a database constraint): a second charge is
kept as ``duplicate`` for an officer to refund, never counted twice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dossiers.constants import ReturnMethod
from portal.money import money_short


class PaymentPhase(models.TextChoices):
    AT_SUBMISSION = "at_submission", _("Khi nộp hồ sơ")
    BEFORE_RESULT = "before_result", _("Trước khi trả kết quả")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Đang chờ thanh toán")
    SUCCEEDED = "succeeded", _("Thanh toán thành công")
    FAILED = "failed", _("Thanh toán không thành công")
    EXPIRED = "expired", _("Hết hạn thanh toán")
    DUPLICATE = "duplicate", _("Thanh toán trùng, chờ hoàn tiền")
    REFUNDED = "refunded", _("Đã hoàn tiền")


class CallbackKind(models.TextChoices):
    IPN = "ipn", _("Thông báo kết quả (IPN)")
    RETURN = "return", _("Trình duyệt quay lại")
    QUERY = "query", _("Tra cứu giao dịch")


class Payment(models.Model):
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(_("mã giao dịch"), max_length=34, unique=True)
    phase = models.CharField(_("thời điểm thu"), max_length=20, choices=PaymentPhase.choices)
    amount = models.BigIntegerField(_("số tiền (đồng)"))
    items = models.JSONField(_("khoản thu"), default=list)
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments")
    payer_name = models.CharField(_("người nộp tiền"), max_length=255, blank=True)
    gateway = models.CharField(max_length=20, default="vnpay")
    gateway_transaction_no = models.CharField(_("mã giao dịch tại cổng thanh toán"), max_length=64, blank=True)
    bank_code = models.CharField(_("ngân hàng"), max_length=20, blank=True)
    response_code = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"))
    paid_at = models.DateTimeField(_("thanh toán lúc"), null=True, blank=True)
    # Reconciliation: the last time the gateway was asked about this payment and how often.
    checked_at = models.DateTimeField(null=True, blank=True)
    check_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)
    receipt = models.ForeignKey(
        "dossiers.StoredDocument", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    receipt_number = models.CharField(_("số biên lai"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("giao dịch thanh toán")
        verbose_name_plural = _("giao dịch thanh toán")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=PaymentStatus.values), name="payment_status_valid"),
            models.CheckConstraint(condition=Q(phase__in=PaymentPhase.values), name="payment_phase_valid"),
            models.CheckConstraint(
                condition=~Q(status__in=["succeeded", "duplicate", "refunded"]) | Q(paid_at__isnull=False),
                name="payment_paid_has_time",
            ),
            # The guard against double counting: whatever the races, one success per phase.
            models.UniqueConstraint(
                fields=["dossier", "phase"], condition=Q(status="succeeded"), name="uniq_payment_success_per_phase"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_status_created")]

    def __str__(self) -> str:
        return f"{self.reference} ({money_short(self.amount)}, {self.get_status_display()})"


class PaymentCallback(models.Model):
    """One message from the gateway (or its answer to a query), as received, and what we made of it."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="callbacks")
    kind = models.CharField(max_length=10, choices=CallbackKind.choices)
    reference = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict)
    signature_valid = models.BooleanField(default=False)
    answer_code = models.CharField(max_length=4, blank=True)
    outcome = models.CharField(max_length=255, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = _("thông báo từ cổng thanh toán")
        verbose_name_plural = _("thông báo từ cổng thanh toán")
        indexes = [models.Index(fields=["reference", "received_at"], name="payment_callback_ref")]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} → {self.answer_code}"


class PaymentRefund(models.Model):
    """A refund (hoàn tiền) recorded by an officer, e.g. of a duplicate charge or a refused dossier."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField(_("số tiền hoàn (đồng)"))
    reason = models.CharField(_("lý do"), max_length=500)
    reference = models.CharField(_("số chứng từ hoàn tiền"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("hoàn tiền")
        verbose_name_plural = _("hoàn tiền")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_refund_positive")]

    def __str__(self) -> str:
        return f"{self.payment.reference}: -{money_short(self.amount)}"


class DossierDelivery(models.Model):
    """How the applicant asked, at submission, to receive the result (online, counter, post)."""

    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.CASCADE, related_name="delivery")
    method = models.CharField(_("hình thức nhận kết quả"), max_length=10, choices=ReturnMethod.choices)
    recipient = models.CharField(_("người nhận"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại người nhận"), max_length=15, blank=True)
    address = models.CharField(_("địa chỉ nhận"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("hình thức nhận kết quả")
        verbose_name_plural = _("hình thức nhận kết quả")
        constraints = [
            models.CheckConstraint(condition=Q(method__in=ReturnMethod.values), name="delivery_method_valid"),
            models.CheckConstraint(
                condition=~Q(method="post") | (~Q(address="") & ~Q(recipient="") & ~Q(phone="")),
                name="delivery_post_has_address",
            ),
        ]

    def __str__(self) -> str:
        return self.get_method_display()
