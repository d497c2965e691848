"""Pages of online payment: start (redirect to the gateway), the return page, the IPN, refunds.

The IPN URL is called by the gateway, server to server, with the signed result in the
query string; it answers JSON ``{"RspCode", "Message"}`` as the protocol defines and is
exempt from CSRF (the HMAC signature is its authentication). The return page only shows
what is known; the IPN or the reconciliation settle the payment.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from dossiers import selectors
from dossiers.models import Payment
from dossiers.services import payments as payment_services
from dossiers.views.common import errors_of
from portal import client_address


def client_ip(request) -> str:
    return client_address.client_ip(request) or "127.0.0.1"


def dossier_pay_due(*, dossier, fees: dict | None = None) -> int:
    """What the applicant can pay online now (0 when the dossier waits for no payment)."""
    phase = payment_services.waiting_phase(dossier)
    if not phase:
        return 0
    fees = fees or payment_services.dossier_fees(dossier=dossier)
    return fees["phases"][phase]["due"]


def dossier_payment_context(*, user, dossier, as_applicant: bool) -> dict:
    """What the dossier page shows about fees, payments, receipts and the delivery choice."""
    fees = payment_services.dossier_fees(dossier=dossier)
    return {
        "fees": fees,
        "payments": selectors.dossier_payments(dossier=dossier),
        "pay_due": dossier_pay_due(dossier=dossier, fees=fees) if as_applicant else 0,
        "delivery": selectors.dossier_delivery(dossier=dossier),
        "can_refund": selectors.payment_officer_can_refund(user=user, dossier=dossier),
    }


@login_required
@require_POST
def payment_start(request, code: str):
    dossier = selectors.dossier_get_for_user(user=request.user, code=code)
    if dossier is None or not selectors.dossier_applicant_can_view(user=request.user, dossier=dossier):
        raise Http404
    try:
        _payment, url = payment_services.payment_start(
            user=request.user,
            dossier_id=dossier.pk,
            return_url=request.build_absolute_uri(reverse("dossiers:payment_return")),
            client_ip=client_ip(request),
        )
    except PermissionDenied as error:
        messages.error(request, str(error))
        return redirect("dossiers:detail", code=dossier.code)
    except ValidationError as error:
        for field_messages in errors_of(error).values():
            for message in field_messages:
                messages.error(request, message)
        return redirect("dossiers:detail", code=dossier.code)
    return redirect(url)


@never_cache
@login_required
@require_GET
def payment_return(request):
    payment = payment_services.payment_return(params=request.GET.dict(), user=request.user)
    if payment is None:
        return render(request, "dossiers/payments/return.html", {"payment": None}, status=400)
    context = {
        "payment": payment,
        "dossier": payment.dossier,
        "cancelled": request.GET.get("vnp_ResponseCode") not in (None, "00"),
    }
    return render(request, "dossiers/payments/return.html", context)


@csrf_exempt
@require_GET
def payment_ipn(request):
    code, message = payment_services.payment_ipn(
        params=request.GET.dict(), remote_addr=client_address.client_ip(request)
    )
    return JsonResponse({"RspCode": code, "Message": message})


@login_required
@require_POST
def payment_refund(request, pk: int):
    payment = Payment.objects.select_related("dossier").filter(pk=pk).first()
    if payment is None or not selectors.payment_officer_can_refund(user=request.user, dossier=payment.dossier):
        raise Http404
    try:
        payment_services.payment_refund(
            user=request.user,
            payment_id=payment.pk,
            amount=request.POST.get("amount", ""),
            reason=request.POST.get("reason", ""),
            reference=request.POST.get("reference", ""),
        )
    except PermissionDenied as error:
        messages.error(request, str(error))
    except ValidationError as error:
        for field_messages in errors_of(error).values():
            for message in field_messages:
                messages.error(request, message)
    else:
        messages.success(request, _("Đã ghi nhận hoàn tiền."))
    return redirect("dossiers:detail", code=payment.dossier.code)


urlpatterns = [
    path("dossiers/<str:code>/pay/", payment_start, name="payment_start"),
    path("payments/return/", payment_return, name="payment_return"),
    path("payments/ipn/", payment_ipn, name="payment_ipn"),
    path("payments/<int:pk>/refund/", payment_refund, name="payment_refund"),
]
