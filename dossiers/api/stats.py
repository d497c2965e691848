"""Statistics for the province's reporting system: ``/api/v1/stats/`` and ``/api/v1/stats/public/``.

The same figures as the pages (``dossiers.stats``). ``stats/`` takes the dashboard's filter
(``date_from``, ``date_to``, ``agency``, ``sub``, ``procedure``, ``sector``, ``group``) and
answers for the caller's agencies only (officers holding ``view_stats``; a token needs the
``officer`` scope); ``stats/public/`` answers the public page's figures of one ``month``; ``stats/index/`` (the caller's agencies) and
``stats/public/index/`` (anyone) the service-quality index (``dossiers.stats.index``) of an
``agency`` and a ``period``.
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
from dossiers.stats import index as quality_index
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


INDEX_PARAMETERS = [
    OpenApiParameter(
        "agency",
        str,
        description="Agency id or unit code; the index covers it with its sub-agencies. Empty: the province.",
    ),
    OpenApiParameter("period", str, description="YYYY-MM (month), YYYY-Qn (quarter) or YYYY (year); empty: this month"),
]
INDEX_DESCRIPTION = (
    "The service-quality index of Decision 766/QĐ-TTg, out of 100 in five groups (transparency 18, timeliness 20, "
    "digitisation 22, online services 22, satisfaction 18), computed from the statistics roll-up. Each indicator "
    "gives its formula, source figures, rate, full-points threshold (`full_at`), `points` and `max_points`, and a "
    "`status`: `scored`; `no_data` (nothing to count in the period: `missing` says so); `unavailable` (the portal "
    "lacks the source data, or the indicator is computed for the whole province only: `available: false` and a "
    "`missing` reason); `tracked` (`kind: average`, the average processing time of item 2.2: a `value` in `unit`, "
    "never scored, `tracked_note` says why). Items 3.1 and 3.3, which the national point table does not score, are "
    "`scored` with `max_points: 0`: their rate against their threshold, for 0 points. Indicator keys follow the "
    "national list (e.g. `e_result` 4.1, `digitised_dossiers` 4.2, `e_certified_copy`, `reuse` 4.3, `shared_reuse` "
    "4.4, `population_dossiers` 4.5b, `population_procedures` 4.5a, `fully_online`, `online_procedures` 3.1, "
    "`online_e_result` 3.3, `payment_procedures` 3.5, `payment_procedures_used` 3.5b, `online_payment` 3.6). No "
    "text at hand says how an indicator without data is scored, so "
    "`no_data` and `unavailable` indicators are left out of the total, which is out of `max_points_scored`; "
    "`left_out` lists them and `points_left_out` sums their points, `no_data_rule` states the rule (item 1.4, "
    "sync, scores 0 without dossiers, as its description says). `max_points_source` and `full_at_source` (with their "
    "`_label`) say where each figure comes from: `text` (the decision or its guidance), `secondary` (a description "
    "of it, e.g. news pages introducing the decision or the issue's reference figures) or `assumption` (the "
    "portal's own); the decision's annex was not at hand, so the seeded figures are secondary or assumptions. "
    "`targets` holds the mission's target figures in force for the period. Bad parameters: 400."
)


def _index_agency(raw: str, tree: dict) -> int | None:
    """The agency named by id or unit code; None when empty. Raises a 400 when unknown."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if raw.isdigit() and int(raw) in tree:
        return int(raw)
    for node in tree.values():
        if node["code"] == raw:
            return node["id"]
    raise exceptions.ValidationError({"agency": [_("Cơ quan “%(agency)s” không tồn tại.") % {"agency": raw[:40]}]})


def _index_period(raw: str) -> quality_index.Period:
    try:
        return quality_index.period_parse(raw)
    except quality_index.BadPeriod as exc:
        raise exceptions.ValidationError({"period": [str(exc)]}) from None


def _index_answer(*, tree: dict, agency_id: int | None, agency_ids, period) -> dict:
    try:
        result = quality_index.index_compute(agency_ids=agency_ids, period=period)
    except quality_index.BadPeriod as exc:
        raise exceptions.ValidationError({"period": [str(exc)]}) from None
    agency = None
    if agency_id is not None:
        node = tree[agency_id]
        agency = {"id": node["id"], "code": node["code"], "name": node["name"]}
    return {"agency": agency, **result}


class IndexView(APIView):
    """The index for the caller's agencies (officers holding ``view_stats``)."""

    permission_classes = [IsOfficer]

    @extend_schema(
        parameters=INDEX_PARAMETERS,
        responses={200: dict},
        summary="Service-quality index (Decision 766/QĐ-TTg) of an agency",
        description=INDEX_DESCRIPTION,
    )
    def get(self, request):
        tree = service.agency_tree()
        allowed = reports.stats_allowed_agency_ids(user=request.user, tree=tree)
        if not allowed:
            raise exceptions.PermissionDenied(_("Bạn không có quyền xem thống kê."))
        period = _index_period(request.query_params.get("period", ""))
        agency_id = _index_agency(request.query_params.get("agency", ""), tree)
        if agency_id is not None and agency_id not in allowed:
            raise exceptions.PermissionDenied(_("Bạn không được xem thống kê của cơ quan này."))
        agency_ids = service.subtree(tree, agency_id) & allowed if agency_id else allowed
        return Response(_index_answer(tree=tree, agency_id=agency_id, agency_ids=frozenset(agency_ids), period=period))


class PublicIndexView(APIView):
    """The index of the province or any of its agencies, for anyone."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        parameters=INDEX_PARAMETERS,
        responses={200: dict},
        summary="Service-quality index (Decision 766/QĐ-TTg), public",
        description=INDEX_DESCRIPTION,
    )
    def get(self, request):
        tree = service.agency_tree()
        period = _index_period(request.query_params.get("period", ""))
        agency_id = _index_agency(request.query_params.get("agency", ""), tree)
        agency_ids = frozenset(service.subtree(tree, agency_id)) if agency_id else None
        return Response(_index_answer(tree=tree, agency_id=agency_id, agency_ids=agency_ids, period=period))


urlpatterns = [
    path("stats/index/", IndexView.as_view(), name="api_stats_index"),
    path("stats/public/index/", PublicIndexView.as_view(), name="api_stats_public_index"),
    path("stats/", StatsView.as_view(), name="api_stats"),
    path("stats/public/", PublicStatsView.as_view(), name="api_stats_public"),
]
