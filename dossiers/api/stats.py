"""Statistics for the province's reporting system: ``/api/v1/stats/`` and ``/api/v1/stats/public/``.

The same figures as the pages (``dossiers.stats``). ``stats/`` takes the dashboard's filter
(``date_from``, ``date_to``, ``agency``, ``sub``, ``procedure``, ``sector``, ``group``) and
answers for the caller's agencies only (officers holding ``view_stats``; a token needs the
``officer`` scope); ``stats/public/`` answers the public page's figures of one ``month``.
A bad filter answers 400 with the reason per field.
"""

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from dossiers.api.officer import IsOfficer
from dossiers.stats import definitions, reports, service
from dossiers.stats.forms import StatsFilterForm, parse_month
from procedures.models import Procedure, Sector

FILTER_PARAMETERS = [
    OpenApiParameter("date_from", str, description="YYYY-MM-DD"),
    OpenApiParameter("date_to", str, description="YYYY-MM-DD"),
    OpenApiParameter("agency", int),
    OpenApiParameter("sub", str, description="1 (default) or 0"),
    OpenApiParameter("procedure", int),
    OpenApiParameter("sector", int),
    OpenApiParameter("group", str, description="agency | procedure | sector"),
]


def _definitions() -> dict:
    return {
        f.key: {"label": str(f.label), "definition": str(f.definition), "kind": f.kind} for f in definitions.FIGURES
    }


class StatsView(APIView):
    permission_classes = [IsOfficer]

    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: dict}, summary="Figures for the caller's agencies")
    def get(self, request):
        tree = service.agency_tree()
        allowed = reports.stats_allowed_agency_ids(user=request.user, tree=tree)
        if not allowed:
            raise exceptions.PermissionDenied(_("Bạn không có quyền xem thống kê."))
        agencies = [(str(i), tree[i]["name"]) for i in allowed if i in tree]

        form = StatsFilterForm(
            request.query_params,
            agencies=agencies,
            procedures=[(str(pk), "") for pk in Procedure.objects.values_list("pk", flat=True)],
            sectors=[(str(pk), "") for pk in Sector.objects.values_list("pk", flat=True)],
        )
        if not form.is_valid():
            raise exceptions.ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
        data = form.cleaned_data
        report = reports.report_from_filters(data, tree=tree, allowed=allowed)
        return Response(
            {
                "date_from": data["date_from"].isoformat(),
                "date_to": data["date_to"].isoformat(),
                "group": data["group"],
                "figures": report["totals"],
                "rows": [
                    {"id": e["id"], "code": e["code"], "name": str(e["name"]), "figures": e["figures"]}
                    for e in report["breakdown"]
                ],
                "definitions": _definitions(),
                "generated_at": timezone.now().isoformat(),
            }
        )


class PublicStatsView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        parameters=[OpenApiParameter("month", str, description="YYYY-MM")],
        responses={200: dict},
        summary="Public figures of one month",
    )
    def get(self, request):
        raw = request.query_params.get("month", "")
        month = parse_month(raw) if raw else timezone.localdate().replace(day=1)
        if month is None:
            raise exceptions.ValidationError(
                {"month": [_("Tháng không hợp lệ; hãy nhập theo dạng năm-tháng (ví dụ 2026-03).")]}
            )
        data = reports.public_stats(month=month)
        keys = (*reports.PUBLIC_KEYS, "rating_very_satisfied", "rating_satisfied", "rating_dissatisfied")
        return Response(
            {
                "month": month.strftime("%Y-%m"),
                "figures": {k: data["totals"][k] for k in keys},
                "agencies": [
                    {"code": a["code"], "name": a["name"], "figures": {k: a["figures"][k] for k in keys}}
                    for a in data["agencies"]
                ],
                "definitions": {k: v for k, v in _definitions().items() if k in keys},
            }
        )


urlpatterns = [
    path("stats/", StatsView.as_view(), name="api_stats"),
    path("stats/public/", PublicStatsView.as_view(), name="api_stats_public"),
]
