"""Fees and online payment of a dossier, and the applicant's document store, through the API.

``GET /api/v1/dossiers/{code}/payments/``: the fees (items, totals, due per phase), the
payment attempts with their e-receipts. ``POST`` starts (or resumes) the payment of what
the dossier waits for and answers the gateway URL to send the payer to (201); 409 when
the dossier does not wait for a payment. ``GET /api/v1/documents/`` lists the caller's
document store (uploads, electronic results ``<code>-KQ<n>``, e-receipts) and
``/api/v1/documents/{id}/`` is one entry; each carries its download and verification URLs.

``POST /api/v1/dossiers/{code}/refunds/`` records a refund made to the payer of one of the
dossier's payments (``payment``: its reference, ``amount`` in đồng, ``reason``, optional
bank ``reference``): for the officers who may on the dossier page (the receiving agency's
reception), through a token with the ``officer`` scope or a session with TOTP; 201 with the
refund and the payment, 404 for anyone else or an unknown payment, 409 when the payment was
not paid, 400 for a bad amount or reason.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from dossiers import selectors
from dossiers.api.officer import OFFICER_SCOPE, IsOfficer
from dossiers.constants import DossierState
from dossiers.models import Dossier, StoredDocument
from dossiers.services import payments as payment_services
from dossiers.views.payments import client_ip
from portal.api.permissions import TokenScopePermission


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "invalid_state"


class PaymentSerializer(serializers.Serializer):
    reference = serializers.CharField()
    phase = serializers.CharField()
    amount = serializers.IntegerField()
    items = serializers.JSONField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    gateway_transaction_no = serializers.CharField()
    receipt_number = serializers.CharField()
    receipt_url = serializers.SerializerMethodField()
    refunded = serializers.SerializerMethodField()

    def get_receipt_url(self, payment) -> str | None:
        if not payment.receipt_id:
            return None
        url = reverse("dossiers:stored_document_download", args=[payment.receipt_id])
        return self.context["request"].build_absolute_uri(url)

    def get_refunded(self, payment) -> int:
        return sum(r.amount for r in payment.refunds.all())


class StoredDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    name = serializers.CharField()
    source = serializers.CharField()
    result_code = serializers.CharField()
    mime_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()
    verify_url = serializers.SerializerMethodField()

    def get_url(self, stored) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("dossiers:stored_document_download", args=[stored.pk])
        )

    def get_verify_url(self, stored) -> str:
        # An electronic result has its own record page (the one its QR code opens).
        path = f"/verify/{stored.result_code}/" if stored.result_code else "/verify/"
        return self.context["request"].build_absolute_uri(path)


def _dossier(request, code: str):
    dossier = selectors.dossier_get_for_user(user=request.user, code=code[:48])
    if dossier is None or dossier.state == DossierState.DRAFT:
        raise NotFound(_("Không tìm thấy hồ sơ."))
    return dossier


@extend_schema(tags=["payments"])
class DossierPaymentsView(GenericAPIView):
    serializer_class = PaymentSerializer

    def _body(self, request, dossier) -> dict:
        fees = payment_services.dossier_fees(dossier=dossier)
        payments = selectors.dossier_payments(dossier=dossier)
        return {
            "code": dossier.code,
            "status_code": dossier.status_code,
            "waiting_for": payment_services.waiting_phase(dossier),
            "fees": fees,
            "payments": PaymentSerializer(payments, many=True, context={"request": request}).data,
        }

    @extend_schema(summary="Fees and payments of a dossier")
    def get(self, request, code: str):
        return Response(self._body(request, _dossier(request, code)))

    @extend_schema(
        summary="Start the online payment of what the dossier waits for",
        request=None,
        responses={201: OpenApiResponse(description="{payment, redirect_url}"), 409: OpenApiResponse()},
    )
    def post(self, request, code: str):
        dossier = _dossier(request, code)
        if not selectors.dossier_applicant_can_view(user=request.user, dossier=dossier):
            raise NotFound(_("Không tìm thấy hồ sơ."))
        try:
            payment, url = payment_services.payment_start(
                user=request.user,
                dossier_id=dossier.pk,
                return_url=request.build_absolute_uri(reverse("dossiers:payment_return")),
                client_ip=client_ip(request),
            )
        except PermissionDenied:
            raise NotFound(_("Không tìm thấy hồ sơ.")) from None
        except ValidationError as error:
            if error.code in ("invalid_state", "nothing_due"):
                raise Conflict(" ".join(error.messages)) from None
            raise
        data = PaymentSerializer(payment, context={"request": request}).data
        return Response({"payment": data, "redirect_url": url}, status=status.HTTP_201_CREATED)


class RefundRequestSerializer(serializers.Serializer):
    payment = serializers.CharField(help_text="The payment's reference (see GET …/payments/).")
    amount = serializers.IntegerField(help_text="Amount refunded, in đồng.")
    reason = serializers.CharField()
    reference = serializers.CharField(required=False, allow_blank=True, help_text="The bank transfer's reference.")


class RefundSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    amount = serializers.IntegerField()
    reason = serializers.CharField()
    reference = serializers.CharField()
    created_at = serializers.DateTimeField()
    recorded_by = serializers.CharField(source="recorded_by.full_name")


@extend_schema(tags=["payments"])
class DossierRefundsView(GenericAPIView):
    """Record a refund of one of the dossier's payments (the officers' side of the dossier page)."""

    permission_classes = [IsAuthenticated, TokenScopePermission, IsOfficer]
    required_scope = OFFICER_SCOPE
    serializer_class = RefundRequestSerializer

    @extend_schema(
        summary="Record a refund of a dossier's payment (officers)",
        request=RefundRequestSerializer,
        responses={
            201: OpenApiResponse(description="{refund, payment}"),
            404: OpenApiResponse(),
            409: OpenApiResponse(),
        },
    )
    def post(self, request, code: str):
        dossier = Dossier.objects.filter(code=code[:48]).exclude(state=DossierState.DRAFT).first()
        if dossier is None or not selectors.payment_officer_can_refund(user=request.user, dossier=dossier):
            raise NotFound(_("Không tìm thấy hồ sơ."))
        data = request.data if hasattr(request.data, "get") else {}
        payment = dossier.payments.filter(reference=str(data.get("payment", ""))[:64]).first()
        if payment is None:
            raise NotFound(_("Không tìm thấy giao dịch thanh toán này của hồ sơ."))
        try:
            refund = payment_services.payment_refund(
                user=request.user,
                payment_id=payment.pk,
                amount=data.get("amount", ""),
                reason=data.get("reason", ""),
                reference=data.get("reference", ""),
            )
        except PermissionDenied:
            raise NotFound(_("Không tìm thấy hồ sơ.")) from None
        except ValidationError as error:
            if getattr(error, "code", None) == "invalid_state":
                raise Conflict(" ".join(error.messages)) from None
            raise
        payment.refresh_from_db()
        return Response(
            {
                "refund": RefundSerializer(refund).data,
                "payment": PaymentSerializer(payment, context={"request": request}).data,
            },
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["documents"])
class DocumentListView(GenericAPIView):
    serializer_class = StoredDocumentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return StoredDocument.objects.none()
        qs = selectors.stored_documents_for_user(user=self.request.user)
        source = self.request.query_params.get("source")
        if source:
            qs = qs.filter(source=source[:10])
        return qs

    @extend_schema(summary="My document store (kho dữ liệu)", responses=StoredDocumentSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(StoredDocumentSerializer(page, many=True, context={"request": request}).data)


@extend_schema(tags=["documents"])
class DocumentDetailView(GenericAPIView):
    serializer_class = StoredDocumentSerializer

    @extend_schema(summary="One document of my store")
    def get(self, request, pk: int):
        stored = selectors.stored_documents_for_user(user=request.user).filter(pk=pk).first()
        if stored is None:
            raise NotFound(_("Không tìm thấy giấy tờ này trong kho của bạn."))
        return Response(StoredDocumentSerializer(stored, context={"request": request}).data)


urlpatterns = [
    path("dossiers/<str:code>/payments/", DossierPaymentsView.as_view(), name="api-dossier-payments"),
    path("dossiers/<str:code>/refunds/", DossierRefundsView.as_view(), name="api-dossier-refunds"),
    path("documents/", DocumentListView.as_view(), name="api-documents"),
    path("documents/<int:pk>/", DocumentDetailView.as_view(), name="api-document-detail"),
]
