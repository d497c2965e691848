"""Fees and online payment of a dossier, and the applicant's document store, through the API.

``GET /api/v1/dossiers/{code}/payments/``: the fees (items, totals, due per phase), the
payment attempts with their e-receipts. ``POST`` starts (or resumes) the payment of what
the dossier waits for and answers the gateway URL to send the payer to (201); 409 when
the dossier does not wait for a payment. ``GET /api/v1/documents/`` lists the caller's
document store (uploads, electronic results ``<code>-KQ<n>``, e-receipts) and
``/api/v1/documents/{id}/`` is one entry; each carries its download and verification URLs.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from dossiers import selectors
from dossiers.constants import DossierState
from dossiers.services import payments as payment_services
from dossiers.views.payments import client_ip


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
        return self.context["request"].build_absolute_uri("/verify/")


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


@extend_schema(tags=["documents"])
class DocumentListView(GenericAPIView):
    serializer_class = StoredDocumentSerializer

    def get_queryset(self):
        qs = selectors.stored_documents_for_user(user=self.request.user)
        source = self.request.query_params.get("source")
        if source:
            qs = qs.filter(source=source[:10])
        return qs

    @extend_schema(summary="My document store (kho dữ liệu)")
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
    path("documents/", DocumentListView.as_view(), name="api-documents"),
    path("documents/<int:pk>/", DocumentDetailView.as_view(), name="api-document-detail"),
]
