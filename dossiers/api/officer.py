"""Officer worklists through the API: ``/api/v1/officer/worklists/`` and one list per name.

The same reads as the pages (``dossiers.worklists``). A bearer token needs the ``officer``
scope; a session works as well, under the pages' rule that an officer has set up two-factor
authentication (TOTP). Answers: the counts; a list paginated as ``count``, ``next``,
``previous``, ``results`` (50 per page, ``page_size`` up to 100); 404 for an unknown list or
page; 403 for a list that does not concern the caller and for anyone who is not an officer.
"""

from django.urls import path
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from dossiers import search, worklists
from dossiers.api.serializers import RowSerializer
from dossiers.constants import DossierState
from portal.api.pagination import PortalPagination
from portal.api.permissions import officer_gate
from portal.second_factor import OFFICER_SCOPE


class IsOfficer(BasePermission):
    """An officer of some agency; through a token with the ``officer`` scope or a session that
    passed the second factor lately (the session's rule is the middleware's, the token's the
    authentication's: both withhold the officer powers otherwise, `portal.second_factor`)."""

    message = gettext_lazy("Chức năng này chỉ dành cho cán bộ.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return False
        officer_gate(request)
        # A bearer token (``request.auth`` is the ApiToken) must carry the scope; a session has none.
        if request.auth is not None and OFFICER_SCOPE not in (getattr(request.auth, "scopes", None) or []):
            raise exceptions.PermissionDenied(_("Mã truy cập này không có phạm vi “officer”."))
        scope = worklists.officer_scope(user=user)
        if not scope.is_officer:
            return False
        view.officer_scope = scope
        return True


class WorklistPagination(PortalPagination):
    page_size = worklists.PAGE_SIZE
    page_size_message = gettext_lazy("Số hồ sơ mỗi trang phải là số nguyên từ 1 đến %(max)d.")

    def paginate_worklist(self, request, *, scope, name: str, view=None) -> list:
        """The page of worklist ``name``: only that page is read, the total comes from the counts."""
        self.request = request
        page_size = self.get_page_size(request)
        rows = worklists.worklist_rows(
            scope=scope, name=name, page=request.query_params.get(self.page_query_param), page_size=page_size
        )
        return self.paginate_queryset(rows, request, view=view)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )


_STATE_LABELS: dict[str, dict[str, str]] = {}


class StateLabelField(serializers.CharField):
    """A dossier state's label in the active language, from a per-language table:
    ``get_state_display`` hashes every translated choice on each call, which cost more than
    the SQL of a whole page."""

    def to_representation(self, value) -> str:
        labels = _STATE_LABELS.get(get_language())
        if labels is None:
            labels = _STATE_LABELS[get_language()] = {state: str(label) for state, label in DossierState.choices}
        return labels.get(value, value)


class WorklistDossierSerializer(RowSerializer):
    code = serializers.CharField()
    status = serializers.CharField(source="state")
    status_label = StateLabelField(source="state")
    status_code = serializers.IntegerField(allow_null=True)
    procedure = serializers.SerializerMethodField()
    agency = serializers.SerializerMethodField()
    applicant_name = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.SerializerMethodField()
    assigned_to = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def get_procedure(self, dossier) -> dict:
        return {"code": dossier.procedure.code, "name": dossier.procedure_version.name}

    def get_agency(self, dossier) -> dict:
        return {"code": dossier.receiving_agency.code, "name": dossier.receiving_agency.name}

    def get_overdue(self, dossier) -> bool:
        return dossier.due_at is not None and dossier.due_at < self.context["now"]

    def get_assigned_to(self, dossier) -> dict | None:
        user = dossier.assigned_to
        return {"id": user.pk, "name": user.full_name or user.email} if user else None

    def get_url(self, dossier) -> str:
        return f"/officer/dossiers/{dossier.code}/"


class ConsultedDossierSerializer(WorklistDossierSerializer):
    """The dossier of a consultation row: the agency asked sees the question and the documents
    sent, not the applicant (its name stays empty)."""

    applicant_name = serializers.SerializerMethodField()

    def get_applicant_name(self, dossier) -> str:
        return ""


class WorklistConsultationSerializer(RowSerializer):
    id = serializers.IntegerField()
    question = serializers.CharField()
    requested_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    overdue = serializers.SerializerMethodField()
    agency = serializers.SerializerMethodField()
    requested_by = serializers.SerializerMethodField()
    # One nested serializer for every row (a serializer per row deep-copies its fields each time).
    dossier = ConsultedDossierSerializer(read_only=True)

    def get_overdue(self, consultation) -> bool:
        return consultation.due_at < self.context["now"]

    def get_agency(self, consultation) -> dict:
        return {"code": consultation.agency.code, "name": consultation.agency.name}

    def get_requested_by(self, consultation) -> str:
        user = consultation.requested_by
        return user.full_name or user.email


_COUNTS = inline_serializer(
    "WorklistCounts",
    fields={
        "worklists": inline_serializer(
            "WorklistCount",
            fields={
                "name": serializers.CharField(),
                "label": serializers.CharField(),
                "count": serializers.IntegerField(),
                "url": serializers.CharField(),
            },
            many=True,
        )
    },
)


class WorklistCountsView(APIView):
    """The officer's worklists with their counts (a few seconds old at most)."""

    permission_classes = [IsOfficer]

    @extend_schema(responses={200: _COUNTS}, tags=["officer"])
    def get(self, request):
        scope = self.officer_scope
        counts = worklists.worklist_counts(user=request.user, scope=scope)
        return Response(
            {
                "worklists": [
                    {
                        "name": name,
                        "label": str(worklists.WORKLISTS[name].label),
                        "count": counts.get(name, 0),
                        "url": request.build_absolute_uri(f"/api/v1/officer/worklists/{name}/"),
                    }
                    for name in scope.names
                ]
            }
        )


class WorklistView(APIView):
    """One worklist in due-date order: dossiers, or for ``consultations`` the open consultations."""

    permission_classes = [IsOfficer]

    @extend_schema(
        parameters=[
            OpenApiParameter("page", int, description="Page number (1…)."),
            OpenApiParameter("page_size", int, description="Rows per page, 1–100 (50 by default)."),
        ],
        responses={200: WorklistDossierSerializer(many=True)},
        tags=["officer"],
    )
    def get(self, request, name: str):
        worklist = worklists.WORKLISTS.get(name)
        if worklist is None:
            raise exceptions.NotFound(_("Không có danh sách công việc “%(name)s”.") % {"name": name[:50]})
        scope = self.officer_scope
        if not scope.applies(name):
            raise exceptions.PermissionDenied(_("Danh sách này không thuộc phạm vi công việc của bạn."))
        paginator = WorklistPagination()
        page = paginator.paginate_worklist(request, scope=scope, name=name, view=self)
        serializer_class = (
            WorklistConsultationSerializer if worklist.kind == "consultation" else WorklistDossierSerializer
        )
        data = serializer_class(page, many=True, context={"now": scope.now, "request": request}).data
        return paginator.get_paginated_response(data)


_SEARCH_PARAMETERS = [
    OpenApiParameter(
        "q",
        str,
        description="Dossier code (or its beginning), ID number, tax code, phone, or applicant name (accents optional).",
    ),
    OpenApiParameter(
        "list", str, description="Search within this worklist only (its name, e.g. reception, to-assign)."
    ),
    OpenApiParameter("procedure", str, description="Procedure code."),
    OpenApiParameter("field", int, description="Field (lĩnh vực) id."),
    OpenApiParameter("status", int, description="National status code 1–10."),
    OpenApiParameter("channel", str, enum=["counter", "online", "post"]),
    OpenApiParameter("due", str, enum=["overdue", "today", "within"], description="Due window."),
    OpenApiParameter("days", int, description="With due=within: working days, 1–60 (3 by default)."),
    OpenApiParameter("assignee", int, description="Assigned officer's user id."),
    OpenApiParameter("department", int, description="Department id."),
    OpenApiParameter("received_from", str, description="Received on or after this date (YYYY-MM-DD)."),
    OpenApiParameter("received_to", str, description="Received on or before this date (YYYY-MM-DD)."),
    OpenApiParameter("sort", str, enum=[k for k in search.SORTS]),
    OpenApiParameter("page", int, description="Page number (1…)."),
    OpenApiParameter("page_size", int, enum=list(search.PAGE_SIZES), description="Rows per page (50 by default)."),
]

_SEARCH_PAGE = inline_serializer(
    "OfficerDossierSearchPage",
    fields={
        "page": serializers.IntegerField(),
        "page_size": serializers.IntegerField(),
        "next": serializers.CharField(allow_null=True),
        "previous": serializers.CharField(allow_null=True),
        "results": WorklistDossierSerializer(many=True),
    },
)


class OfficerDossierSearchView(APIView):
    """Search the dossiers of the caller's agencies by code, applicant name, ID number, phone or
    tax code, with the worklists' filters (the same selector as the pages). A page holds
    ``page_size`` rows; ``next`` is null on the last one (no total is counted)."""

    permission_classes = [IsOfficer]

    @extend_schema(parameters=_SEARCH_PARAMETERS, responses={200: _SEARCH_PAGE}, tags=["officer"])
    def get(self, request):
        scope = self.officer_scope
        name = request.query_params.get("list") or None
        if name is not None:
            worklist = worklists.WORKLISTS.get(name[:40])
            if worklist is None or worklist.kind != "dossier":
                raise exceptions.ValidationError({"list": [_("Không có danh sách công việc này.")]})
            if not scope.applies(name):
                raise exceptions.PermissionDenied(_("Danh sách này không thuộc phạm vi công việc của bạn."))
        form = search.DossierSearchForm(request.query_params, scope=scope)
        if not form.is_valid():
            raise exceptions.ValidationError(form.error_list())
        data = form.cleaned_data
        page_size = data.get("page_size") or search.DEFAULT_PAGE_SIZE
        raw_page = request.query_params.get("page")
        number = search.page_number(raw_page)
        if raw_page not in (None, "") and str(number) != raw_page:
            raise exceptions.NotFound(_("Trang “%(page)s” không tồn tại hoặc không hợp lệ.") % {"page": raw_page[:20]})
        page = search.dossier_search_page(scope=scope, data=data, worklist=name, number=number, page_size=page_size)
        rows = WorklistDossierSerializer(page.rows, many=True, context={"now": scope.now, "request": request}).data
        url = request.build_absolute_uri()

        def link(n: int) -> str:
            return replace_query_param(url, "page", n)

        return Response(
            {
                "page": number,
                "page_size": page_size,
                "next": link(number + 1) if page.has_next else None,
                "previous": link(number - 1) if number > 1 else None,
                "results": rows,
            }
        )


urlpatterns = [
    path("officer/dossiers/", OfficerDossierSearchView.as_view(), name="api-officer-dossiers"),
    path("officer/worklists/", WorklistCountsView.as_view(), name="api-officer-worklists"),
    path("officer/worklists/<str:name>/", WorklistView.as_view(), name="api-officer-worklist"),
]
