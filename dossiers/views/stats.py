"""Statistics pages: the leaders' dashboard with drill-down, the list behind a number, the
periodic report exports (XLSX, PDF), the monthly report subscriptions, the public
transparency page (/thong-ke/) and the open-data files (/du-lieu-mo/…).

Officers see only the agencies where they hold ``view_stats`` (with their sub-agencies).
Every figure comes from ``dossiers.stats`` (roll-up plus the live current day); an invalid
filter is explained on the page (status 400) and nothing is counted.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dossiers.models import ReportFormat
from dossiers.petitions import selectors as petition_selectors
from dossiers.stats import charts as stats_charts
from dossiers.stats import definitions, opendata, reports, service
from dossiers.stats import index as quality_index
from dossiers.stats import subscriptions as stats_subscriptions
from dossiers.stats.forms import StatsFilterForm, StatsSubscriptionForm, parse_month
from portal.api.authentication import session_or_bearer
from portal.db_router import replica_reads
from procedures.models import Procedure, Sector

LIST_PAGE_SIZE = 50
PUBLIC_LATE_LIMIT = 50


def _choices(tree: dict, allowed: set[int] | None):
    def depth(i):
        n, node = 0, tree[i]
        while node["parent_id"] in tree:
            n, node = n + 1, tree[node["parent_id"]]
        return n

    ids = sorted(tree if allowed is None else allowed & tree.keys(), key=lambda i: tree[i]["code"])
    agencies = [(str(i), "— " * depth(i) + tree[i]["name"]) for i in ids]
    procedures = [
        (str(pk), f"{code} — {name}")
        for pk, code, name in Procedure.objects.order_by("code").values_list("pk", "code", "name")
    ]
    sectors = [(str(pk), name) for pk, name in Sector.objects.order_by("code").values_list("pk", "name")]
    return agencies, procedures, sectors


def _form_and_tree(request):
    tree = service.agency_tree()
    allowed = reports.stats_allowed_agency_ids(user=request.user, tree=tree)
    if not allowed:
        raise PermissionDenied(_("Bạn không có quyền xem thống kê."))
    agencies, procedures, sectors = _choices(tree, allowed)
    # Always bound: with no query string the form's defaults (this month, every agency) apply.
    form = StatsFilterForm(request.GET, agencies=agencies, procedures=procedures, sectors=sectors)
    return form, tree, allowed


def _params(data: dict, **override) -> str:
    values = {
        "date_from": data["date_from"].isoformat(),
        "date_to": data["date_to"].isoformat(),
        "agency": data.get("agency") or "",
        "sub": "1" if data.get("sub", True) else "0",
        "procedure": data.get("procedure") or "",
        "sector": data.get("sector") or "",
        "group": data.get("group") or "agency",
        "index_period": data.get("index_period") or "month",
    }
    if values["index_period"] == "month":
        del values["index_period"]  # the default: the links of a monthly index stay as they were
    values.update({k: ("" if v is None else v) for k, v in override.items()})
    return urlencode({k: v for k, v in values.items() if v != ""})


COUNT_KEYS = [f.key for f in definitions.FIGURES if f.condition is not None]
CARD_KEYS = ("received", "resolved", "on_time_rate", "in_progress_overdue", "online_share", "satisfaction_rate")
TABLE_KEYS = (
    "carried_over",
    "received",
    "received_online",
    "resolved",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "in_progress_on_time",
    "in_progress_overdue",
    "on_time_rate",
    "online_share",
    "satisfaction_rate",
)


display = definitions.figure_display


def _cells(figures: dict, keys, query: str) -> list[tuple]:
    return [
        (k, display(k, figures[k]), f"{query}&figure={k}" if k in COUNT_KEYS and figures[k] else None) for k in keys
    ]


@login_required
@require_GET
@replica_reads()
def dashboard(request):
    form, tree, allowed = _form_and_tree(request)
    if not form.is_valid():
        return render(request, "dossiers/stats/dashboard.html", {"form": form}, status=400)
    data = form.cleaned_data
    report = reports.report_from_filters(form.cleaned_data, tree=tree, allowed=allowed)
    scope = report["scope"]
    chart_from = (data["date_to"].replace(day=1) - dt.timedelta(days=330)).replace(day=1)
    series = service.monthly_series(scope=scope, first_day=chart_from, last_day=data["date_to"])
    chart = {
        "labels": [s["month"].strftime("%m/%Y") for s in series],
        "received": [s["received"] for s in series],
        "resolved": [s["resolved"] for s in series],
        "on_time_rate": [s["on_time_rate"] for s in series],
    }
    for entry in report["breakdown"]:
        if data["group"] == "agency":
            entry["filter"] = _params(data, agency=entry["id"], sub="1" if entry["sub"] else "0")
            entry["drill"] = entry["filter"] if entry["sub"] and entry["has_children"] else None
            entry["by_procedure"] = _params(
                data, agency=entry["id"], sub="1" if entry["sub"] else "0", group="procedure"
            )
        elif data["group"] == "procedure":
            entry["filter"] = _params(data, procedure=entry["id"])
            entry["drill"] = None
        else:
            entry["filter"] = _params(data, sector=entry["id"])
            entry["drill"] = _params(data, sector=entry["id"], group="procedure")
        entry["cells"] = _cells(entry["figures"], TABLE_KEYS, entry["filter"])
    query = _params(data)
    totals = report["totals"]
    try:
        index_result = quality_index.index_compute(
            agency_ids=scope.agency_ids, period=quality_index.period_parse(form.index_period_key())
        )
    except quality_index.BadPeriod:
        index_result = None
    charts = stats_charts.dashboard_charts(
        report=report,
        series=series,
        index_result=index_result,
        link=lambda figure, **override: f"{_params(data, **override)}&figure={figure}",
    )
    breadcrumbs = []
    if data.get("agency"):
        node = tree[data["agency"]]
        while node is not None:
            if node["id"] in allowed:
                breadcrumbs.insert(0, (node["name"], _params(data, agency=node["id"], sub="1")))
            node = tree.get(node["parent_id"])
    return render(
        request,
        "dossiers/stats/dashboard.html",
        {
            "form": form,
            "report": report,
            "figures": definitions.FIGURES,
            "cards": [(k, definitions.FIGURES_BY_KEY[k].label, display(k, totals[k]), None) for k in CARD_KEYS],
            "total_rows": [
                (k, definitions.FIGURES_BY_KEY[k].label, value, link)
                for k, value, link in _cells(totals, [f.key for f in definitions.FIGURES], query)
            ],
            "table_labels": [definitions.FIGURES_BY_KEY[k].label for k in TABLE_KEYS],
            "chart": chart,
            "charts": charts,
            "index_result": index_result,
            "petitions": petition_selectors.petition_counts_by_agency(
                agency_ids=scope.agency_ids, first_day=data["date_from"], last_day=data["date_to"]
            ),
            "query": query,
            "breadcrumbs": breadcrumbs,
        },
    )


@login_required
@require_GET
@replica_reads()
def dossier_list(request):
    """The dossiers behind one number of the dashboard."""
    form, tree, allowed = _form_and_tree(request)
    figure = request.GET.get("figure", "")
    if figure not in COUNT_KEYS:
        return render(
            request,
            "dossiers/stats/dossier_list.html",
            {"form": form, "error": _("Chỉ tiêu “%(figure)s” không có danh sách hồ sơ.") % {"figure": figure[:40]}},
            status=400,
        )
    if not form.is_valid():
        return render(request, "dossiers/stats/dossier_list.html", {"form": form}, status=400)
    data = form.cleaned_data
    report_scope = reports.scope_from_filters(data, tree=tree, allowed=allowed)
    try:
        rows, following = service.dossiers_behind_page(
            figure=figure,
            scope=report_scope,
            first_day=data["date_from"],
            last_day=data["date_to"],
            after=request.GET.get("after", ""),
            size=LIST_PAGE_SIZE,
        )
    except service.BadCursor:
        return render(
            request,
            "dossiers/stats/dossier_list.html",
            {"form": form, "error": _("Trang danh sách không hợp lệ; hãy mở lại danh sách từ bảng thống kê.")},
            status=400,
        )
    # How many there are comes from the roll-up (the dashboard's own figure), not a COUNT(*).
    total = service.summarise(
        service.stats_rows(scope=report_scope, first_day=data["date_from"], last_day=data["date_to"])
    )[figure]
    query = _params(data)
    return render(
        request,
        "dossiers/stats/dossier_list.html",
        {
            "form": form,
            "figure": definitions.FIGURES_BY_KEY[figure],
            "rows": rows,
            "total": total,
            "first_page": bool(request.GET.get("after")),
            "next_query": urlencode({"figure": figure, "after": following}) if following else None,
            "query": query,
            "figure_key": figure,
        },
    )


@session_or_bearer(officer=True)
@require_GET
@replica_reads()
def export(request, fmt: str):
    form, tree, allowed = _form_and_tree(request)
    if not form.is_valid():
        return render(request, "dossiers/stats/dashboard.html", {"form": form}, status=400)
    report = reports.report_from_filters(form.cleaned_data, tree=tree, allowed=allowed)
    data = form.cleaned_data
    heading = tree[data["agency"]]["name"] if data.get("agency") else _("Các cơ quan được giao theo dõi")
    name = f"bao-cao-{data['date_from']:%Y%m%d}-{data['date_to']:%Y%m%d}"
    if fmt == "xlsx":
        response = HttpResponse(reports.report_xlsx(report, heading=heading), content_type=reports.XLSX_CONTENT_TYPE)
    else:
        response = HttpResponse(reports.report_pdf(report, heading=heading), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@require_GET
@replica_reads()
def public_page(request):
    raw = request.GET.get("month", "")
    today = timezone.localdate()
    month = parse_month(raw) if raw else today.replace(day=1)
    error = None
    if month is None:
        error = _("Tháng không hợp lệ; hãy chọn tháng theo dạng năm-tháng (ví dụ 2026-03), không sau tháng hiện tại.")
        month = today.replace(day=1)
    context = reports.public_stats(month=month)
    agency_id = request.GET.get("agency", "")
    late = []
    if agency_id.isdigit():
        late = reports.public_late_dossiers(
            agency_id=int(agency_id), first_day=month, last_day=context["last_day"], limit=PUBLIC_LATE_LIMIT
        )
    keys = [f.key for f in reports.public_figures()]
    for agency in context["agencies"]:
        agency["cells"] = [(k, display(k, agency["figures"][k])) for k in keys]
    context.update(
        total_cells=[(k, display(k, context["totals"][k])) for k in keys],
        satisfaction=display("satisfaction_rate", context["totals"]["satisfaction_rate"]),
        definitions=[definitions.FIGURES_BY_KEY[k] for k in (*keys, "rating_very_satisfied", "satisfaction_rate")],
        late_limit=PUBLIC_LATE_LIMIT,
        error=error,
        late=late,
        late_agency=next((a for a in context["agencies"] if str(a["id"]) == agency_id), None),
        month_value=month.strftime("%Y-%m"),
        figures=reports.public_figures(),
        # One period throughout: the chart shows the month of the table, agency by agency.
        chart={
            "labels": [a["name"] for a in context["agencies"]],
            "received": [a["figures"]["received"] for a in context["agencies"]],
            "on_time_rate": [a["figures"]["on_time_rate"] for a in context["agencies"]],
        },
        index_result=_public_index(month),
        opendata_files=sorted(opendata.FILES),
        opendata_licence=opendata.licence(),
    )
    return render(request, "dossiers/stats/public.html", context, status=400 if error else 200)


def _public_index(month: dt.date) -> dict | None:
    try:
        return quality_index.index_compute(agency_ids=None, period=quality_index.period_parse(month.strftime("%Y-%m")))
    except quality_index.BadPeriod:
        return None


@require_GET
@replica_reads()
def opendata_file(request, name: str):
    """A published open-data file (CSV, JSON, the DCAT catalogue), for anyone."""
    content = opendata.opendata_read(name)
    if content is None:
        raise Http404(_("Không có tệp dữ liệu mở này."))
    response = HttpResponse(content, content_type=f"{opendata.FILES[name]}; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=3600"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def subscriptions(request):
    """The monthly reports a leader receives by email: one row per agency it may follow."""
    tree = service.agency_tree()
    if not reports.stats_allowed_agency_ids(user=request.user, tree=tree):
        raise PermissionDenied(_("Bạn không có quyền xem thống kê."))
    status, error, form = 200, None, StatsSubscriptionForm()
    if request.method == "POST":
        form = StatsSubscriptionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                stats_subscriptions.stats_subscription_set(
                    user=request.user,
                    agency_id=data["agency"],
                    active=data["action"] == "subscribe",
                    report_format=data["report_format"] or ReportFormat.XLSX,
                )
            except ValidationError as exc:
                status, error = 400, " ".join(exc.messages)
            except PermissionDenied as exc:
                status, error = 403, str(exc)
            else:
                name = tree[data["agency"]]["name"]
                if data["action"] == "subscribe":
                    messages.success(request, _("Đã đăng ký nhận báo cáo tháng của %(agency)s.") % {"agency": name})
                else:
                    messages.success(request, _("Đã huỷ nhận báo cáo tháng của %(agency)s.") % {"agency": name})
                return redirect("dossiers:stats_subscriptions")
        else:
            status = 400
            error = " ".join(str(m) for errors in form.errors.values() for m in errors)
    return render(
        request,
        "dossiers/stats/subscriptions.html",
        {
            "rows": stats_subscriptions.stats_subscriptions_for(user=request.user, tree=tree),
            "formats": ReportFormat.choices,
            "error": error,
        },
        status=status,
    )


urlpatterns = [
    path("officer/stats/subscriptions/", subscriptions, name="stats_subscriptions"),
    path("officer/stats/", dashboard, name="stats_dashboard"),
    path("officer/stats/dossiers/", dossier_list, name="stats_dossiers"),
    path("officer/stats/report.xlsx", export, {"fmt": "xlsx"}, name="stats_export_xlsx"),
    path("officer/stats/report.pdf", export, {"fmt": "pdf"}, name="stats_export_pdf"),
    path("thong-ke/", public_page, name="stats_public"),
    path("du-lieu-mo/<str:name>", opendata_file, name="stats_opendata"),
]
