"""The periodic report: figures for a scope and period with a breakdown (agency, procedure or
field), as a dict for pages and the API, as XLSX and PDF, and mailed monthly to subscribers.
"""

import calendar
import datetime as dt
import io
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from dossiers.models import ReportFormat, StatsSubscription
from dossiers.pdf import render_pdf
from dossiers.stats import definitions as d
from dossiers.stats import service, svg
from portal.db_router import replica_reads
from portal.selectors import officer_agency_ids
from procedures.models import Procedure, Sector

logger = logging.getLogger(__name__)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The columns of the provincial report, in order (every figure of definitions.FIGURES).
COLUMNS = [f.key for f in d.FIGURES]


def stats_allowed_agency_ids(*, user, tree: dict) -> set[int]:
    """Agencies whose figures the user may read: where it holds view_stats, with their sub-agencies."""
    allowed: set[int] = set()
    for agency_id in officer_agency_ids(user=user, permission="view_stats"):
        allowed |= service.subtree(tree, agency_id)
    return allowed


def top_agencies(tree: dict, allowed: set[int] | None) -> list[int]:
    """The agencies (of ``allowed``; None: all) whose parent is not among them, in code order."""
    ids, parents = (tree.keys(), tree) if allowed is None else (allowed, allowed)
    return sorted((i for i in ids if i in tree and tree[i]["parent_id"] not in parents), key=lambda i: tree[i]["code"])


@replica_reads()
def report_from_filters(data: dict, *, tree, allowed):
    """The report for a validated filter form's ``cleaned_data`` (pages, exports and the API)."""
    return build_report(
        tree=tree,
        allowed=allowed,
        agency_id=data.get("agency"),
        sub=data.get("sub", True),
        procedure_id=data.get("procedure"),
        sector_id=data.get("sector"),
        first_day=data["date_from"],
        last_day=data["date_to"],
        group=data["group"],
    )


def report_scope(
    *,
    tree: dict,
    allowed: set[int] | None,
    agency_id: int | None,
    sub: bool,
    procedure_id: int | None,
    sector_id: int | None,
) -> service.Scope:
    """The dossiers a report covers: the agency (with its sub-agencies when ``sub``) within what
    the caller may see (``allowed``; None: everything), a procedure, a field."""
    if agency_id:
        agency_ids = service.subtree(tree, agency_id) if sub else {agency_id}
        if allowed is not None:
            agency_ids &= allowed
    else:
        agency_ids = None if allowed is None else set(allowed)
    return service.Scope(
        agency_ids=None if agency_ids is None else frozenset(agency_ids), procedure_id=procedure_id, sector_id=sector_id
    )


def scope_from_filters(data: dict, *, tree, allowed) -> service.Scope:
    """`report_scope` for a validated filter form's ``cleaned_data`` (the list behind a number)."""
    return report_scope(
        tree=tree,
        allowed=allowed,
        agency_id=data.get("agency"),
        sub=data.get("sub", True),
        procedure_id=data.get("procedure"),
        sector_id=data.get("sector"),
    )


@replica_reads()
def build_report(
    *,
    tree: dict,
    allowed: set[int] | None,
    agency_id: int | None,
    sub: bool,
    procedure_id: int | None,
    sector_id: int | None,
    first_day: dt.date,
    last_day: dt.date,
    group: str,
) -> dict:
    scope = report_scope(
        tree=tree, allowed=allowed, agency_id=agency_id, sub=sub, procedure_id=procedure_id, sector_id=sector_id
    )
    rows = service.stats_rows(scope=scope, first_day=first_day, last_day=last_day)
    breakdown = []
    if group == "agency":
        entries: list[tuple[int, bool]] = []  # (agency id, with sub-agencies)
        if agency_id:
            entries.append((agency_id, False))
            if sub:
                entries += [
                    (c, True)
                    for c in sorted(tree[agency_id]["children"], key=lambda i: tree[i]["code"])
                    if allowed is None or c in allowed
                ]
        else:
            entries = [(i, True) for i in top_agencies(tree, allowed)]
        owner: dict[int, tuple[int, bool]] = {}
        for entry in entries:
            for member in service.subtree(tree, entry[0]) if entry[1] else {entry[0]}:
                owner.setdefault(member, entry)
        figures = service.group(rows, lambda r: owner.get(r["agency_id"]))
        for entry in entries:
            node = tree[entry[0]]
            name = node["name"] if entry[1] or not (agency_id and sub) else _("%(name)s (trực tiếp)") % node
            breakdown.append(
                {
                    "id": entry[0],
                    "name": name,
                    "code": node["code"],
                    "sub": entry[1],
                    "has_children": bool(node["children"]),
                    "figures": figures.get(entry, service.summarise([])),
                }
            )
    elif group == "procedure":
        figures = service.group(rows, lambda r: r["procedure_id"])
        names = Procedure.objects.filter(pk__in=figures).values_list("pk", "code", "name")
        breakdown = [
            {"id": pk, "code": code, "name": name, "figures": figures[pk]}
            for pk, code, name in sorted(names, key=lambda n: n[1])
        ]
    else:
        sectors = service.procedure_sectors()
        figures = service.group(rows, lambda r: sectors.get(r["procedure_id"]))
        names = Sector.objects.filter(pk__in=figures).values_list("pk", "code", "name")
        breakdown = [
            {"id": pk, "code": code, "name": name, "figures": figures[pk]}
            for pk, code, name in sorted(names, key=lambda n: n[1])
        ]
    return {
        "first_day": first_day,
        "last_day": last_day,
        "group": group,
        "totals": service.summarise(rows),
        "breakdown": breakdown,
        "scope": scope,
    }


def _title(report: dict) -> str:
    return _("Báo cáo tình hình giải quyết thủ tục hành chính từ %(start)s đến %(end)s") % {
        "start": report["first_day"].strftime("%d/%m/%Y"),
        "end": report["last_day"].strftime("%d/%m/%Y"),
    }


def report_xlsx(report: dict, *, heading: str = "") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Báo cáo")[:31]
    sheet.append([_title(report)])
    sheet["A1"].font = Font(bold=True, size=13)
    if heading:
        sheet.append([heading])
    sheet.append([])
    header = [_("STT"), _("Đơn vị / thủ tục / lĩnh vực")] + [str(d.FIGURES_BY_KEY[k].label) for k in COLUMNS]
    sheet.append(header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for number, entry in enumerate(report["breakdown"], start=1):
        sheet.append([number, str(entry["name"])] + [entry["figures"][k] for k in COLUMNS])
        sheet.cell(row=sheet.max_row, column=2).data_type = "s"
    sheet.append(["", _("Tổng cộng")] + [report["totals"][k] for k in COLUMNS])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.append([])
    sheet.append([_("Định nghĩa các chỉ tiêu")])
    for figure in d.FIGURES:
        sheet.append(["", str(figure.label), str(figure.definition)])
    sheet.column_dimensions["B"].width = 45
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_charts(report: dict) -> list[str]:
    """The PDF's charts (SVG data URIs): on-time rate, overdue count and satisfaction per entry."""
    names = [str(e["name"]) for e in report["breakdown"]]
    if not names:
        return []
    specs = [
        (_("Tỷ lệ giải quyết đúng hạn"), "on_time_rate", "%", "#b02a37"),
        (_("Hồ sơ đang xử lý quá hạn"), "in_progress_overdue", "", "#0b5ed7"),
        (_("Tỷ lệ hài lòng"), "satisfaction_rate", "%", "#6f42c1"),
    ]
    return [
        svg.data_uri(
            svg.bar_chart_svg(
                title=title,
                labels=names,
                values=[e["figures"][key] for e in report["breakdown"]],
                unit=unit,
                colour=colour,
            )
        )
        for title, key, unit, colour in specs
    ]


def report_pdf(report: dict, *, heading: str = "") -> bytes:
    columns = [(k, d.FIGURES_BY_KEY[k].label) for k in COLUMNS]
    table = [
        (entry["name"], [d.figure_display(k, entry["figures"][k]) for k in COLUMNS]) for entry in report["breakdown"]
    ]
    return render_pdf(
        "dossiers/stats/report_pdf.html",
        {
            "title": _title(report),
            "heading": heading,
            "columns": columns,
            "table": table,
            "totals": [d.figure_display(k, report["totals"][k]) for k in COLUMNS],
            "figures": d.FIGURES,
            "charts": report_charts(report),
            "generated_at": timezone.localtime(),
            "PORTAL_NAME": settings.PORTAL_NAME,
        },
    )


def stats_send_monthly_reports(*, today: dt.date | None = None) -> int:
    """Mail last month's report (XLSX or PDF, as subscribed) to every active subscription not yet
    served; returns how many."""
    today = today or timezone.localdate()
    last_day = today.replace(day=1) - dt.timedelta(days=1)
    first_day = last_day.replace(day=1)
    tree = service.agency_tree()
    sent = 0
    pending = (
        StatsSubscription.objects.filter(is_active=True, user__is_active=True)
        .exclude(last_sent_month=first_day)
        .select_related("user", "agency")
    )
    for subscription in pending:
        # The right may have been withdrawn since the subscription: check it when sending.
        if subscription.agency_id not in stats_allowed_agency_ids(user=subscription.user, tree=tree):
            continue
        with transaction.atomic():
            locked = StatsSubscription.objects.select_for_update().get(pk=subscription.pk)
            if locked.last_sent_month == first_day:
                continue
            report = build_report(
                tree=tree,
                allowed=None,
                agency_id=subscription.agency_id,
                sub=True,
                procedure_id=None,
                sector_id=None,
                first_day=first_day,
                last_day=last_day,
                group="agency",
            )
            heading = subscription.agency.name
            message = EmailMessage(
                subject=_("[%(portal)s] Báo cáo tháng %(month)s — %(agency)s")
                % {"portal": settings.PORTAL_NAME, "month": first_day.strftime("%m/%Y"), "agency": heading},
                body=_(
                    "Kính gửi %(name)s,\nĐính kèm báo cáo tình hình giải quyết thủ tục hành chính tháng %(month)s "
                    "của %(agency)s: tiếp nhận %(received)s, giải quyết %(resolved)s, tỷ lệ đúng hạn %(rate)s.\n"
                    "Xem chi tiết tại %(url)s"
                )
                % {
                    "name": subscription.user.get_full_name() or subscription.user.email,
                    "month": first_day.strftime("%m/%Y"),
                    "agency": heading,
                    "received": report["totals"]["received"],
                    "resolved": report["totals"]["resolved"],
                    "rate": "—" if report["totals"]["on_time_rate"] is None else f"{report['totals']['on_time_rate']}%",
                    "url": f"{settings.SITE_URL}/officer/stats/?agency={subscription.agency_id}"
                    f"&date_from={first_day.isoformat()}&date_to={last_day.isoformat()}",
                },
                to=[subscription.user.email],
            )
            name = f"bao-cao-{first_day.strftime('%Y-%m')}"
            if subscription.report_format == ReportFormat.PDF:
                message.attach(f"{name}.pdf", report_pdf(report, heading=heading), "application/pdf")
            else:
                message.attach(f"{name}.xlsx", report_xlsx(report, heading=heading), XLSX_CONTENT_TYPE)
            message.send()
            locked.last_sent_month = first_day
            locked.save(update_fields=["last_sent_month"])
            sent += 1
    return sent


# --- the public transparency page ------------------------------------------------------------

PUBLIC_KEYS = ("received", "resolved", "resolved_late", "on_time_rate", "online_share", "satisfaction_rate")


def public_figures() -> list:
    return [d.FIGURES_BY_KEY[k] for k in PUBLIC_KEYS]


@replica_reads()
def public_stats(*, month: dt.date) -> dict:
    """The public figures of one month, per agency (the page keeps to that one period)."""
    tree = service.agency_tree()
    last_day = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    last_day = min(last_day, timezone.localdate())
    rows = service.stats_rows(scope=service.Scope(), first_day=month, last_day=last_day)
    per_agency = service.group(rows, lambda r: r["agency_id"])
    agencies = [
        {"id": i, "code": tree[i]["code"], "name": tree[i]["name"], "figures": per_agency[i]}
        for i in sorted(per_agency, key=lambda i: tree[i]["code"] if i in tree else "")
        if i in tree
    ]
    return {
        "month": month,
        "last_day": last_day,
        "totals": service.summarise(rows),
        "agencies": agencies,
    }


@replica_reads()
def public_late_dossiers(*, agency_id: int, first_day: dt.date, last_day: dt.date, limit: int) -> list:
    """The agency's dossiers resolved late in the period, oldest first: codes and procedures only."""
    return list(
        service.dossiers_behind(
            figure="resolved_late",
            scope=service.Scope(agency_ids=frozenset({agency_id})),
            first_day=first_day,
            last_day=last_day,
        )
        .select_related("procedure")
        .only("code", "procedure__code", "procedure__name")
        .order_by("resolved_at")[:limit]
    )
