"""Fees (phí, lệ phí) of a dossier and their online payment: start, IPN, return, reconciliation, refund.

Fees come from the dossier's procedure version and are computed here only, for the
review page, the dossier page and the API alike. A toàn trình (fully online) procedure
collects its at-submission fees online: submitting such a dossier registers it with its
code but parks it in status 6 (payment requested) with ``resume_state`` = submitted, and
the reception queue sees it only once the payment has succeeded. We chose this over
"draft → pay → submit" because the order is then bound to a frozen dossier (the form
and documents can no longer change the amount after payment), the API can address the
payment by the dossier code, and a counter payment recorded by reception
(``dossier_payment_received``) settles the very same state. Fees collected before the
result are asked by the officer's ``request_payment`` action and settled the same way.

Only the server-to-server IPN and the query API (reconciliation) settle a payment; the
browser's return is display only. The dossier row is locked before the payment row
everywhere, so concurrent duplicates are serialised; the unique "one success per phase"
constraint is the last guard against double counting.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from num2words import num2words

from dossiers import gateway
from dossiers.constants import DocumentSource, DossierState, ReturnMethod
from dossiers.core import pipelines
from dossiers.core.access import dossier_applicant_can_view
from dossiers.core.clock import dossier_clock_resume, reception_deadline
from dossiers.core.fees import (  # noqa: F401 (the payments' public face)
    ONLINE_PAYMENT_REQUIRED_LEVELS,
    FeeLine,
    dossier_fees,
    fee_due,
    fee_lines,
    submission_payment_due,
    waiting_phase,
)
from dossiers.core.machine import transition_run
from dossiers.core.text import money_parse, text_clean
from dossiers.models import Dossier, DossierDelivery, Payment, PaymentCallback, PaymentRefund
from dossiers.models.payment import CallbackKind, PaymentStatus
from dossiers.pdf import render_pdf
from dossiers.services.documents import document_inspect, stored_document_create
from dossiers.services.slips import slip_place
from portal.money import money_text
from portal.notifications import notify
from portal.validators import normalise_phone, validate_phone

logger = logging.getLogger(__name__)

RECONCILE_AFTER = dt.timedelta(minutes=gateway.PAYMENT_EXPIRY_MINUTES)
# A payment the gateway still does not know this long after its page expired was never paid.
GIVE_UP_AFTER = dt.timedelta(hours=24)
RECONCILE_BATCH = 200
REFUND_REASON_MIN_LENGTH = 10


# --- delivery choice -----------------------------------------------------------------------


def dossier_delivery_set(
    *, user, dossier: Dossier, method: str, recipient: str = "", phone: str = "", address: str = ""
) -> DossierDelivery:
    """The applicant's choice of how to receive the result, made on the draft before submission."""
    if dossier.applicant_id != user.pk:
        raise PermissionDenied(_("Bạn không có quyền sửa hồ sơ này."))
    if dossier.state != DossierState.DRAFT:
        raise ValidationError(_("Hồ sơ đã được nộp, không thể đổi hình thức nhận kết quả."), code="not_draft")
    recipient, phone, address = (str(v or "").strip() for v in (recipient, phone, address))
    errors: dict[str, list] = {}
    if method not in ReturnMethod.values:
        errors["delivery_method"] = [_("Vui lòng chọn hình thức nhận kết quả: trực tuyến, tại quầy hoặc bưu chính.")]
    elif method == ReturnMethod.POST:
        if not recipient:
            errors["delivery_recipient"] = [_("Vui lòng nhập người nhận kết quả qua bưu chính.")]
        if not address:
            errors["delivery_address"] = [_("Vui lòng nhập địa chỉ nhận kết quả qua bưu chính.")]
        try:
            phone = normalise_phone(phone)
            validate_phone(phone)
        except ValidationError:
            errors["delivery_phone"] = [_("Số điện thoại người nhận không hợp lệ.")]
    if errors:
        raise ValidationError(errors)
    if method != ReturnMethod.POST:
        recipient, phone, address = recipient[:255], "", ""
    delivery, _created = DossierDelivery.objects.update_or_create(
        dossier=dossier,
        defaults={"method": method, "recipient": recipient[:255], "phone": phone[:15], "address": address[:500]},
    )
    return delivery


# --- starting a payment --------------------------------------------------------------------


def _new_reference(dossier: Dossier, now: dt.datetime) -> str:
    # Letters and digits only (the gateways' rule), unique, and traceable to the dossier.
    return f"HS{dossier.pk}T{gateway.gateway_time(now)}{secrets.token_hex(3).upper()}"[:34]


def _config() -> gateway.GatewayConfig:
    config = gateway.GatewayConfig.from_settings()
    if not (config.secret and config.merchant_code and config.url):
        raise ValidationError(
            _("Cổng thanh toán trực tuyến chưa sẵn sàng. Vui lòng thử lại sau hoặc nộp phí tại Bộ phận Một cửa."),
            code="gateway_unconfigured",
        )
    return config


def payment_start(*, user, dossier_id: int, return_url: str, client_ip: str = "") -> tuple[Payment, str]:
    """Open (or reuse) the pending payment of the fees the dossier waits for; returns it and the gateway URL."""

    config = _config()
    now = timezone.now()
    with transaction.atomic():
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("procedure_version", "organisation")
            .filter(pk=dossier_id)
            .first()
        )
        if dossier is None or not dossier_applicant_can_view(user=user, dossier=dossier):
            raise PermissionDenied(_("Bạn không có quyền thanh toán cho hồ sơ này."))
        phase = waiting_phase(dossier)
        if phase is None:
            raise ValidationError(
                _("Hồ sơ %(code)s không ở trạng thái chờ thanh toán.") % {"code": dossier.code}, code="invalid_state"
            )
        fees = dossier_fees(dossier=dossier)
        due = fees["phases"][phase]["due"]
        if due <= 0:
            raise ValidationError(_("Hồ sơ không còn khoản phí, lệ phí nào cần thanh toán."), code="nothing_due")
        payment = (
            Payment.objects.filter(
                dossier=dossier,
                phase=phase,
                status=PaymentStatus.PENDING,
                amount=due,
                created_at__gt=now - RECONCILE_AFTER,
            )
            .order_by("-created_at")
            .first()
        )
        if payment is None:
            payment = Payment.objects.create(
                dossier=dossier,
                reference=_new_reference(dossier, now),
                phase=phase,
                amount=due,
                items=[line for line in fees["lines"] if line["collected_at"] == phase],
                payer=user,
                payer_name=dossier.applicant_name or user.full_name or user.email,
                created_at=now,
            )
    url = gateway.payment_url(
        config=config,
        reference=payment.reference,
        amount=payment.amount,
        order_info=f"Thanh toan phi, le phi ho so {dossier.code}",
        return_url=return_url,
        client_ip=client_ip,
        created_at=payment.created_at,
    )
    return payment, url


# --- settling: the IPN, the reconciliation ---------------------------------------------------


def _record(
    *,
    kind: str,
    params: dict,
    payment: Payment | None,
    valid: bool,
    answer: str,
    outcome: str,
    remote_addr: str | None = None,
) -> None:
    PaymentCallback.objects.create(
        payment=payment,
        kind=kind,
        reference=str(params.get("vnp_TxnRef", ""))[:64],
        params={str(k)[:64]: str(v)[:500] for k, v in list(params.items())[:60]},
        signature_valid=valid,
        answer_code=answer,
        outcome=outcome[:255],
        remote_addr=remote_addr or None,
        received_at=timezone.now(),
    )


def _settle_dossier(*, dossier: Dossier, payment: Payment, now: dt.datetime) -> None:
    """The system's ``payment_settle`` row, on the dossier the caller holds locked: what the
    officer's ``payment_received`` does, once every fee of the phase is paid."""
    if waiting_phase(dossier) != payment.phase or fee_due(dossier=dossier, phase=payment.phase) > 0:
        return
    payload = {"reference": payment.reference, "amount": payment.amount, "online": True}

    def apply(dossier: Dossier) -> list[str]:
        payload["paused_minutes"] = dossier_clock_resume(dossier, now)
        dossier.state = dossier.resume_state or DossierState.PROCESSING
        dossier.resume_state = ""
        if dossier.state == DossierState.SUBMITTED and dossier.reception_due_at is None:
            dossier.reception_due_at = reception_deadline(dossier, now)
        return ["resume_state", "paused_at", "paused_minutes", "due_at", "reception_due_at"]

    transition_run(user=None, dossier=dossier, name="payment_settle", payload=payload, apply=apply)


def _apply_result(*, payment_id: int, dossier_id: int, params: dict, now: dt.datetime) -> tuple[str, str]:
    """Apply a verified gateway result to the payment under the locks. Returns (answer code, outcome)."""
    dossier = Dossier.objects.select_for_update(of=("self",)).select_related("procedure_version").get(pk=dossier_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    amount = gateway.from_gateway_amount(params.get("vnp_Amount"))
    if amount != payment.amount:
        return gateway.RSP_INVALID_AMOUNT, f"amount {amount} != {payment.amount}"
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.EXPIRED):
        return gateway.RSP_ALREADY_CONFIRMED, f"already {payment.status}"
    succeeded = (
        params.get("vnp_ResponseCode", gateway.RESPONSE_SUCCESS) == gateway.RESPONSE_SUCCESS
        and params.get("vnp_TransactionStatus") == gateway.TRANSACTION_SUCCESS
    )
    payment.response_code = str(params.get("vnp_ResponseCode") or params.get("vnp_TransactionStatus", ""))[:4]
    payment.gateway_transaction_no = str(params.get("vnp_TransactionNo", ""))[:64]
    payment.bank_code = str(params.get("vnp_BankCode", ""))[:20]
    fields = ["status", "response_code", "gateway_transaction_no", "bank_code"]
    if not succeeded:
        payment.status = PaymentStatus.FAILED
        payment.save(update_fields=fields)
        return gateway.RSP_OK, "failed at the gateway"
    payment.paid_at = gateway.parse_gateway_time(str(params.get("vnp_PayDate", ""))) or now
    payment.receipt_number = f"BL-{payment.reference}"[:40]
    fields += ["paid_at", "receipt_number"]
    if Payment.objects.filter(dossier=dossier, phase=payment.phase, status=PaymentStatus.SUCCEEDED).exists():
        # Paid twice (two tabs, a late IPN of an abandoned attempt): kept apart for a refund.
        payment.status = PaymentStatus.DUPLICATE
        payment.save(update_fields=fields)
        return gateway.RSP_OK, "duplicate payment, to refund"
    payment.status = PaymentStatus.SUCCEEDED
    payment.save(update_fields=fields)
    _settle_dossier(dossier=dossier, payment=payment, now=now)
    # The e-receipt's pipeline, in the outbox with the payment (sent on commit).
    pipelines.payment_receipt_enqueue(payment_id=payment.pk)
    return gateway.RSP_OK, "succeeded"


def payment_ipn(*, params: dict, remote_addr: str | None = None) -> tuple[str, str]:
    """Handle the gateway's server-to-server notification; returns (RspCode, Message) for its answer.

    Idempotent: a repeated or late IPN finds the payment no longer pending and answers
    "02" (already confirmed) without changing anything.
    """
    params = {str(k): str(v) for k, v in params.items()}
    config = gateway.GatewayConfig.from_settings()
    valid = bool(config.secret) and gateway.verify(params, config.secret)
    payment = Payment.objects.filter(reference=params.get("vnp_TxnRef", "")[:34]).first() if valid else None
    if not valid or params.get("vnp_TmnCode") != config.merchant_code:
        answer, outcome = gateway.RSP_INVALID_SIGNATURE, "invalid signature or merchant"
        valid = False
    elif payment is None:
        answer, outcome = gateway.RSP_ORDER_NOT_FOUND, "unknown order reference"
    else:
        try:
            with transaction.atomic():
                answer, outcome = _apply_result(
                    payment_id=payment.pk, dossier_id=payment.dossier_id, params=params, now=timezone.now()
                )
                _record(
                    kind=CallbackKind.IPN,
                    params=params,
                    payment=payment,
                    valid=True,
                    answer=answer,
                    outcome=outcome,
                    remote_addr=remote_addr,
                )
            return answer, gateway.RSP_MESSAGES[answer]
        except Exception:  # the gateway retries on "99"; the record below says why
            logger.exception("payment IPN for %s failed", payment.reference)
            answer, outcome = gateway.RSP_OTHER, "internal error"
    _record(
        kind=CallbackKind.IPN,
        params=params,
        payment=payment,
        valid=valid,
        answer=answer,
        outcome=outcome,
        remote_addr=remote_addr,
    )
    return answer, gateway.RSP_MESSAGES[answer]


def payment_return(*, params: dict, user) -> Payment | None:
    """The browser came back from the gateway: check and record, never settle. Returns the payment to show."""

    params = {str(k): str(v) for k, v in params.items()}
    config = gateway.GatewayConfig.from_settings()
    valid = bool(config.secret) and gateway.verify(params, config.secret)
    payment = (
        Payment.objects.select_related("dossier").filter(reference=params.get("vnp_TxnRef", "")[:34]).first()
        if valid
        else None
    )
    _record(
        kind=CallbackKind.RETURN,
        params=params,
        payment=payment,
        valid=valid,
        answer="",
        outcome="shown" if payment else "refused",
    )
    if payment is None or not dossier_applicant_can_view(user=user, dossier=payment.dossier):
        return None
    return payment


def payment_reconcile(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Ask the gateway about payments pending for more than 15 minutes and settle them.

    A gateway that cannot be reached leaves them pending (with the error recorded) for the
    next run; an order the gateway never saw expires once its page is long gone.
    """
    now = now or timezone.now()
    config = gateway.GatewayConfig.from_settings()
    counts = {"checked": 0, "succeeded": 0, "failed": 0, "expired": 0, "unreachable": 0}
    if not config.secret:
        return counts
    pending = Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lt=now - RECONCILE_AFTER).order_by(
        "created_at"
    )[:RECONCILE_BATCH]
    for payment in pending:
        counts["checked"] += 1
        try:
            answer = gateway.query(
                config=config, reference=payment.reference, transaction_date=payment.created_at, now=now
            )
        except gateway.GatewayUnavailable as error:
            Payment.objects.filter(pk=payment.pk).update(
                checked_at=now, check_attempts=payment.check_attempts + 1, last_error=str(error)[:255]
            )
            _record(
                kind=CallbackKind.QUERY,
                params={"vnp_TxnRef": payment.reference},
                payment=payment,
                valid=False,
                answer="",
                outcome=f"unreachable: {error}",
            )
            counts["unreachable"] += 1
            continue
        answer = {str(k): str(v) for k, v in answer.items()}
        valid = gateway.query_response_valid(answer, config.secret) and answer.get("vnp_TxnRef") == payment.reference
        with transaction.atomic():
            outcome = "invalid answer"
            if valid and answer.get("vnp_ResponseCode") == "00":
                code, outcome = _apply_result(
                    payment_id=payment.pk,
                    dossier_id=payment.dossier_id,
                    params={**answer, "vnp_ResponseCode": "00"},
                    now=now,
                )
                if outcome == "succeeded":
                    counts["succeeded"] += 1
                elif outcome.startswith("failed"):
                    counts["failed"] += 1
            elif valid and answer.get("vnp_ResponseCode") == gateway.QUERY_NOT_FOUND:
                outcome = "not found at the gateway"
                if payment.created_at < now - GIVE_UP_AFTER:
                    Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
                        status=PaymentStatus.EXPIRED
                    )
                    counts["expired"] += 1
            Payment.objects.filter(pk=payment.pk).update(
                checked_at=now, check_attempts=payment.check_attempts + 1, last_error="" if valid else outcome
            )
            _record(
                kind=CallbackKind.QUERY,
                params=answer,
                payment=payment,
                valid=valid,
                answer=answer.get("vnp_ResponseCode", "")[:4],
                outcome=outcome,
            )
    return counts


# --- refunds -------------------------------------------------------------------------------


def payment_refund(*, user, payment_id: int, amount, reason: str, reference: str = "") -> PaymentRefund:
    """Record a refund made to the payer (by the agency's reception), e.g. of a duplicate charge."""
    reason = text_clean(reason, field="reason")[:500]
    reference = text_clean(reference, field="reference", maximum=64)
    errors: dict[str, list] = {}
    amount = money_parse(amount) or 0
    if amount <= 0:
        errors["amount"] = [_("Số tiền hoàn phải là số nguyên dương (đồng).")]
    if len(reason) < REFUND_REASON_MIN_LENGTH:
        errors["reason"] = [_("Vui lòng nêu lý do hoàn tiền (ít nhất %(n)d ký tự).") % {"n": REFUND_REASON_MIN_LENGTH}]
    payment = Payment.objects.filter(pk=payment_id).only("dossier_id").first()
    if payment is None:
        raise PermissionDenied(_("Bạn không có quyền thực hiện thao tác này trên hồ sơ."))
    made: dict = {}

    def check(dossier: Dossier) -> None:
        locked = Payment.objects.select_for_update().get(pk=payment_id)
        if locked.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.DUPLICATE):
            raise ValidationError(_("Chỉ hoàn tiền cho giao dịch đã thanh toán thành công."), code="invalid_state")
        refunded = locked.refunds.aggregate(total=Sum("amount"))["total"] or 0
        if not errors and amount > locked.amount - refunded:
            errors["amount"] = [
                _("Số tiền hoàn vượt quá số tiền còn lại của giao dịch (%(rest)s).")
                % {"rest": money_text(locked.amount - refunded)}
            ]
        if errors:
            raise ValidationError(errors)
        made.update(payment=locked, refunded=refunded)
        payload.update(reference=locked.reference, amount=amount, refund_reference=reference)

    def apply(dossier: Dossier) -> list[str]:
        locked = made["payment"]
        made["refund"] = PaymentRefund.objects.create(
            payment=locked,
            amount=amount,
            reason=reason,
            reference=reference,
            recorded_by=user,
            created_at=timezone.now(),
        )
        if made["refunded"] + amount == locked.amount:
            locked.status = PaymentStatus.REFUNDED
            locked.save(update_fields=["status"])
        return []

    payload: dict = {}
    transition_run(
        user=user,
        dossier_id=payment.dossier_id,
        name="payment_refund",
        note=reason,
        payload=payload,
        check=check,
        apply=apply,
    )
    return made["refund"]


# --- the electronic receipt (biên lai điện tử) ------------------------------------------------


def amount_in_words(amount: int) -> str:
    words = num2words(int(amount), lang="vi")
    return f"{words[:1].upper()}{words[1:]} đồng"


def payment_receipt_render(*, payment_id: int):
    """Render the e-receipt PDF into the payer's store, once; queue the agency's seal if signing is in."""

    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("dossier", "dossier__receiving_agency", "dossier__procedure", "payer")
            .filter(pk=payment_id)
            .first()
        )
        if (
            payment is None
            or payment.receipt_id
            or payment.status
            not in (
                PaymentStatus.SUCCEEDED,
                PaymentStatus.DUPLICATE,
                PaymentStatus.REFUNDED,
            )
        ):
            return None
        dossier = payment.dossier
        context = {
            "payment": payment,
            "dossier": dossier,
            "agency": dossier.receiving_agency,
            "agency_name": dossier.receiving_agency.name,
            "parent_agency_name": dossier.receiving_agency.parent.name if dossier.receiving_agency.parent_id else "",
            "issued_at": timezone.localtime(payment.paid_at),
            "place": slip_place(),
            "portal_name": settings.PORTAL_NAME,
            "items": payment.items,
            "amount_words": amount_in_words(payment.amount),
            "paid_at": timezone.localtime(payment.paid_at),
        }
        content = render_pdf("slips/receipt.html", context)
        inspected = document_inspect(name=f"bien-lai-{payment.reference}.pdf", content=content)
        stored = stored_document_create(
            inspected=inspected,
            owner=dossier.applicant if dossier.organisation_id is None else None,
            organisation=dossier.organisation,
            title=_("Biên lai điện tử %(number)s — hồ sơ %(code)s")
            % {"number": payment.receipt_number, "code": dossier.code},
            source=DocumentSource.RECEIPT,
        )
        payment.receipt = stored
        payment.save(update_fields=["receipt"])
    return stored


def payment_receipt_notify(payment_id: int) -> None:
    payment = Payment.objects.select_related("dossier", "payer").filter(pk=payment_id).first()
    if payment is None:
        return
    code = payment.dossier.code
    notify(
        user=payment.payer,
        subject=_("Đã thanh toán phí, lệ phí hồ sơ %(code)s") % {"code": code},
        body=_("Cổng đã nhận %(amount)s (mã giao dịch %(ref)s). Biên lai điện tử có trong kho dữ liệu của bạn.")
        % {"amount": money_text(payment.amount), "ref": payment.reference},
        url=reverse("dossiers:detail", args=[code]),
        dossier_code=code,
    )
