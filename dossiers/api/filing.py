"""Filing and reading one's dossiers through the API.

``POST /api/v1/dossiers/`` files a dossier in one call (multipart: ``procedure``, ``data``,
``on_behalf_of``, ``agency``, ``national_consent``, ``corrections``, files as
``documents[<requirement id>]``) through the same `dossier_file` service the wizard's steps use;
an ``Idempotency-Key`` header makes retries safe. A procedure requiring a VNeID level the session
(or the token's session) did not reach answers 403 ``assurance_required``.
``GET /api/v1/dossiers/`` lists the caller's and its organisations' dossiers;
``GET /api/v1/dossiers/{code}/`` is one dossier with its timeline, documents, slips, results
and the actions open to the caller (404 for a dossier the caller may not see).
"""

import re

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser
from rest_framework.response import Response

from dossiers import selectors, services
from dossiers.actions import action_describe, offered_actions
from dossiers.api.filters import DossierFilter
from dossiers.api.serializers import (
    DossierDetailSerializer,
    DossierListSerializer,
    FilingRequestSerializer,
    FilingResponseSerializer,
)
from dossiers.constants import DossierState
from dossiers.services.slips import slips_for_viewer
from portal.api.idempotency import idempotency_check, request_fingerprint
from portal.api.parsers import ObjectJSONParser, PortalMultiPartParser
from portal.assurance import ASSURANCE_REQUIRED, AssuranceRequired, request_assurance

DOCUMENT_PART = re.compile(r"^documents\[(\d{1,12})\]$")
IDEMPOTENCY_KEY_MAX = 64


def _uploaded_files(request) -> dict:
    """``documents[<id>]`` parts as ``{id: (name, bytes)}``; anything else is a field error."""
    errors: dict[str, list[str]] = {}
    files: dict[int, tuple[str, bytes]] = {}
    for key in request.FILES:
        match = DOCUMENT_PART.match(key)
        if match is None:
            errors[key] = [_("Tệp phải gửi trong trường documents[<mã thành phần hồ sơ>].")]
            continue
        uploads = request.FILES.getlist(key)
        if len(uploads) > 1:
            errors[key] = [_("Mỗi thành phần hồ sơ chỉ nhận một tệp.")]
            continue
        upload = uploads[0]
        if upload.size > settings.DOSSIER_MAX_TOTAL_SIZE:
            errors[key] = [
                _("Tệp vượt quá dung lượng cho phép (%(limit)d MB).")
                % {"limit": settings.DOSSIER_MAX_TOTAL_SIZE // 1048576}
            ]
            continue
        files[int(match.group(1))] = (upload.name or "tep", upload.read())
    if errors:
        raise ValidationError(errors)
    return files


@extend_schema(tags=["dossiers"])
class DossierCollectionView(GenericAPIView):
    parser_classes = [PortalMultiPartParser, FormParser, ObjectJSONParser]
    serializer_class = DossierListSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DossierFilter
    # dossier_file keeps the key with the dossier: a retry answers 200 with it, for good.
    idempotency_builtin = True

    def get_queryset(self):
        qs = selectors.dossiers_for_applicant(user=self.request.user, include_drafts=False)
        return qs.order_by("-submitted_at", "-pk")

    @extend_schema(
        summary="My dossiers and my organisations' dossiers",
        responses=DossierListSerializer(many=True),
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(DossierListSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        summary="File a dossier",
        request={"multipart/form-data": FilingRequestSerializer, "application/json": FilingRequestSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                location=OpenApiParameter.HEADER,
                description=(
                    "Any unique string (≤ 64 characters); a retry with the same key and the same content "
                    "returns the same dossier, the same key with other content answers 422."
                ),
            )
        ],
        responses={
            201: FilingResponseSerializer,
            200: OpenApiResponse(FilingResponseSerializer, description="Idempotent retry: the earlier dossier."),
            400: OpenApiResponse(description="Per-field errors in error.fields"),
            403: OpenApiResponse(
                description=(
                    "error.code assurance_required: the procedure requires a VNeID level (LoA2) that the "
                    "session, or the session the bearer token was minted from, did not reach."
                )
            ),
            422: OpenApiResponse(description="The Idempotency-Key was used for a request with other content."),
        },
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > IDEMPOTENCY_KEY_MAX:
            raise ValidationError(
                {"Idempotency-Key": [_("Idempotency-Key tối đa %(n)d ký tự.") % {"n": IDEMPOTENCY_KEY_MAX}]}
            )
        # Before request.data: the fingerprint reads the body (multipart through Django's parser).
        fingerprint = request_fingerprint(request) if key else ""
        serializer = FilingRequestSerializer(data={k: v for k, v in request.data.items() if k != "documents"})
        serializer.is_valid(raise_exception=True)
        files = _uploaded_files(request)
        body = serializer.validated_data
        assurance, via_token = request_assurance(request)
        try:
            dossier, pin, created = services.dossier_file(
                user=request.user,
                procedure_code=body["procedure"].strip(),
                data=body.get("data") or {},
                files=files,
                # A token owned by an organisation files for it unless told otherwise.
                organisation_id=body.get("on_behalf_of") or getattr(request.auth, "organisation_id", None),
                agency_code=body.get("agency") or None,
                idempotency_key=key,
                idempotency_fingerprint=fingerprint,
                assurance=assurance,
                via_token=via_token,
                national_consent=body.get("national_consent", False),
                reasons=body.get("corrections") or {},
            )
        except AssuranceRequired as error:
            raise exceptions.PermissionDenied(str(error), code=ASSURANCE_REQUIRED) from None
        except PermissionDenied as error:
            raise ValidationError({"on_behalf_of": [str(error)]}) from None
        if not created:
            idempotency_check(stored=dossier.idempotency_fingerprint, fingerprint=fingerprint)
        return Response(
            FilingResponseSerializer(dossier, context={"pin": pin}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema(tags=["dossiers"])
class DossierDetailView(GenericAPIView):
    serializer_class = DossierDetailSerializer

    @extend_schema(summary="One dossier, as the caller may see it", responses=DossierDetailSerializer)
    def get(self, request, code: str):
        user = request.user
        dossier = selectors.dossier_get_for_user(user=user, code=code[:48], consulted=True)
        if dossier is None or dossier.state == DossierState.DRAFT:
            raise NotFound(_("Không tìm thấy hồ sơ."))
        lookups: dict = {}
        actions = [
            action_describe(a, user=user, dossier=dossier, lookups=lookups)
            for a in offered_actions(user=user, dossier=dossier)
        ]
        consulted_only = selectors.dossier_consulted_only(user=user, dossier=dossier)
        officer = selectors.dossier_officer_can_view(user=user, dossier=dossier)
        consultations = (
            list(selectors.dossier_consultations_for_officer(user=user, dossier=dossier).prefetch_related("documents"))
            if officer
            else []
        )
        if consulted_only:
            # A consulted agency (liên thông): its questions and the documents sent with them.
            context = {
                "request": request,
                "consulted_only": True,
                "documents": list(selectors.dossier_documents_for_viewer(user=user, dossier=dossier)),
                "consultations": consultations,
                "actions": actions,
            }
            return Response(DossierDetailSerializer(dossier, context=context).data)
        agency_officer = selectors.dossier_agency_officer_can_view(user=user, dossier=dossier)
        context = {
            "request": request,
            "timeline": list(selectors.dossier_timeline(dossier=dossier)),
            # The officers' internal notes for the receiving agency only, never for the applicant.
            "internal_notes": agency_officer,
            # The declared answers with their labels, for the receiving agency's officers.
            "answers": selectors.dossier_answers(dossier=dossier) if agency_officer else None,
            "documents": list(selectors.dossier_documents(dossier=dossier)),
            # A released slip is listed once the agency seal has signed it (officers see it at once).
            "slips": [s for s in slips_for_viewer(user=user, dossier=dossier) if not s.awaiting_seal],
            "results": selectors.dossier_results_for_user(user=user, dossier=dossier),
            "consultations": consultations,
            "actions": actions,
        }
        return Response(DossierDetailSerializer(dossier, context=context).data)


urlpatterns = [
    path("dossiers/", DossierCollectionView.as_view(), name="api-dossiers"),
    path("dossiers/<str:code>/", DossierDetailView.as_view(), name="api-dossier-detail"),
]
