"""Petitions through the API (``/api/v1/petitions/`` and ``/api/v1/officer/petitions/``).

The same services as the pages. A citizen files (``POST``, scope ``dossiers:write``, the same
rate limit as the page) and reads their own petitions (scope ``dossiers:read``); the petitioner
answers a request for information with ``POST …/actions/`` ``{"action": "provide_info", "text"}``.
Officers of the petition's agency read it and act on it (``refuse``, ``request_info``,
``answer``) with a session that passed the second factor or a token with the ``officer`` scope;
their worklist is ``/api/v1/officer/petitions/?list=open|due_soon|overdue|closed|all``.
404 for a petition the caller may not see; 400 for bad input; 409 when the state does not allow
the action; 429 past the filing limit.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from dossiers.api.officer import IsOfficer
from dossiers.petitions import selectors, services
from dossiers.petitions.constants import CONTENT_MAX, OPEN_STATES, TEXT_MAX, TITLE_MAX, PetitionKind
from dossiers.petitions.throttle import RATE_LIMIT_MESSAGE, petition_rate_limited
from portal.api.pagination import PortalPagination


class PetitionInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PetitionKind.choices)
    title = serializers.CharField(max_length=TITLE_MAX)
    content = serializers.CharField(max_length=CONTENT_MAX)
    procedure_code = serializers.CharField(max_length=32, required=False, allow_blank=True)
    dossier_code = serializers.CharField(max_length=48, required=False, allow_blank=True)
    consent_publish = serializers.BooleanField(required=False, default=False)


class PetitionActionInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["refuse", "request_info", "answer", "provide_info"])
    text = serializers.CharField(max_length=TEXT_MAX)


class PetitionSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    title = serializers.CharField()
    content = serializers.CharField()
    procedure = serializers.SerializerMethodField()
    dossier_code = serializers.SerializerMethodField()
    agency = serializers.SerializerMethodField()
    consent_publish = serializers.BooleanField()
    received_at = serializers.DateTimeField()
    refuse_due_at = serializers.DateTimeField()
    info_due_at = serializers.DateTimeField()
    answer_due_at = serializers.DateTimeField()
    overdue = serializers.SerializerMethodField()
    info_request = serializers.CharField()
    info_reply = serializers.CharField()
    refusal_reason = serializers.CharField()
    answer = serializers.CharField()
    closed_at = serializers.DateTimeField(allow_null=True)
    sender = serializers.SerializerMethodField(
        help_text="Who sent it, for the officers of its agency only (null for the petitioner)."
    )

    def get_sender(self, petition) -> dict | None:
        if not self.context.get("officer"):
            return None
        if petition.petitioner_id:
            user = petition.petitioner
            return {"name": user.full_name or user.email, "phone": petition.contact_phone, "email": user.email}
        return {"name": petition.contact_name, "phone": petition.contact_phone, "email": petition.contact_email}

    def get_procedure(self, petition) -> dict | None:
        procedure = petition.procedure
        return {"code": procedure.code, "name": procedure.name} if procedure else None

    def get_dossier_code(self, petition) -> str | None:
        return petition.dossier.code if petition.dossier_id else None

    def get_agency(self, petition) -> dict:
        return {"code": petition.agency.code, "name": petition.agency.name}

    def get_overdue(self, petition) -> bool:
        return petition.state in OPEN_STATES and petition.answer_due_at < timezone.now()


def _detail(petition, *, user) -> dict:
    officer = selectors.petition_viewer_is_officer(user=user, petition=petition)
    return PetitionSerializer(petition, context={"officer": officer}).data


class PetitionListView(APIView):
    pagination_class = PortalPagination

    @extend_schema(responses=PetitionSerializer(many=True), summary="The caller's own petitions")
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.petitions_of_user(user=request.user), request, view=self)
        return paginator.get_paginated_response(PetitionSerializer(page, many=True).data)

    @extend_schema(request=PetitionInputSerializer, responses={201: PetitionSerializer}, summary="File a petition")
    def post(self, request):
        data = PetitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        limited, left = petition_rate_limited(request)
        if limited:
            raise exceptions.Throttled(wait=left, detail=str(RATE_LIMIT_MESSAGE))
        petition = services.petition_file(user=request.user, **data.validated_data)
        return Response(_detail(petition, user=request.user), status=201)


def _visible(request, code: str):
    petition = selectors.petition_get_for_user(user=request.user, code=code)
    if petition is None:
        raise exceptions.NotFound(_("Không tìm thấy phản ánh, kiến nghị."))
    return petition


class PetitionDetailView(APIView):
    @extend_schema(responses=PetitionSerializer, summary="A petition (its petitioner or an officer of its agency)")
    def get(self, request, code: str):
        return Response(_detail(_visible(request, code), user=request.user))


class PetitionActionView(APIView):
    @extend_schema(request=PetitionActionInputSerializer, responses=PetitionSerializer, summary="Act on a petition")
    def post(self, request, code: str):
        petition = _visible(request, code)
        data = PetitionActionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        action, text = data.validated_data["action"], data.validated_data["text"]
        if action == "provide_info":
            petition = services.petition_provide_info(user=request.user, code=petition.code, reply=text)
        else:
            petition = services.petition_officer_act(user=request.user, code=petition.code, action=action, text=text)
        return Response(
            _detail(
                selectors.petition_get_for_user(user=request.user, code=petition.code) or petition, user=request.user
            )
        )


class OfficerPetitionListView(APIView):
    permission_classes = [IsOfficer]
    pagination_class = PortalPagination

    @extend_schema(
        responses=PetitionSerializer(many=True),
        summary="Petitions routed to the officer's agencies",
        parameters=[
            OpenApiParameter(
                "list", str, enum=list(selectors.WORKLIST_FILTERS), description="Which list (open by default)."
            )
        ],
    )
    def get(self, request):
        name = request.query_params.get("list", "open")
        if name not in selectors.WORKLIST_FILTERS:
            raise ValidationError(
                {
                    "list": _("Danh sách không hợp lệ; chọn một trong: %(names)s.")
                    % {"names": ", ".join(selectors.WORKLIST_FILTERS)}
                }
            )
        paginator = self.pagination_class()
        rows = selectors.petition_worklist(user=request.user, name=name).select_related("petitioner")
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(PetitionSerializer(page, many=True, context={"officer": True}).data)
