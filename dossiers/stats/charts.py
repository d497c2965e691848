"""The dashboards' charts as data: each chart's labels, series and, per element, the query of the
list of dossiers behind it (``/officer/stats/dossiers/?…&figure=…``). The page hands them to the
static ``stats.js`` (Chart.js) as JSON and prints the same data as tables (the screen readers'
alternative and the phones' cards); ``svg`` draws them for the PDF report.

Colours pass 3:1 against white (WCAG 1.4.11) and never carry meaning alone: every series has
its own label, point shape and dash, and rates are drawn against their target line.
"""

import calendar
import datetime as dt

from django.utils.translation import gettext as _

# (colour, point style, dash): blue, green, red, dark amber; contrast ≥ 4.5:1 on white.
STYLES = {
    "received": ("#0b5ed7", "rect", []),
    "resolved": ("#146c43", "triangle", []),
    "on_time_rate": ("#b02a37", "circle", [6, 3]),
    "online_share": ("#7a4f01", "rectRot", [2, 2]),
    "satisfaction_rate": ("#6f42c1", "circle", []),
    "overdue": ("#b02a37", "rect", []),
    "index": ("#0b5ed7", "rect", []),
}


def _month_range(month: dt.date, last_day: dt.date) -> tuple[dt.date, dt.date]:
    end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    return month, min(end, last_day)


def _rank(entries: list[dict], key: str, *, reverse: bool) -> list[dict]:
    known = [e for e in entries if e["figures"][key] is not None]
    return sorted(known, key=lambda e: (e["figures"][key], e["name"]), reverse=reverse)


def dashboard_charts(*, report: dict, series: list[dict], index_result: dict | None, link) -> dict:
    """The dashboard's charts. ``link(figure, **filters)`` gives the query of the list behind an
    element (the dashboard's filter with ``agency``/``date_from``/``date_to`` replaced)."""
    agencies = report["breakdown"] if report["group"] == "agency" else []
    charts: dict = {}
    on_time = _rank(agencies, "on_time_rate", reverse=True)
    charts["ranking_on_time"] = {
        "title": _("Cơ quan xếp theo tỷ lệ giải quyết đúng hạn"),
        "unit": "%",
        "labels": [str(e["name"]) for e in on_time],
        "series": [
            {
                "key": "on_time_rate",
                "label": _("Tỷ lệ đúng hạn (%)"),
                "values": [e["figures"]["on_time_rate"] for e in on_time],
            }
        ],
        "links": [link("resolved", agency=e["id"], sub="1" if e.get("sub") else "0") for e in on_time],
        "horizontal": True,
    }
    overdue = sorted(agencies, key=lambda e: (-e["figures"]["in_progress_overdue"], e["name"]))
    charts["ranking_overdue"] = {
        "title": _("Cơ quan xếp theo số hồ sơ đang quá hạn"),
        "unit": "",
        "labels": [str(e["name"]) for e in overdue],
        "series": [
            {
                "key": "overdue",
                "label": _("Đang xử lý quá hạn"),
                "values": [e["figures"]["in_progress_overdue"] for e in overdue],
            }
        ],
        "links": [link("in_progress_overdue", agency=e["id"], sub="1" if e.get("sub") else "0") for e in overdue],
        "horizontal": True,
    }
    months = [_month_range(s["month"], report["last_day"]) for s in series]
    charts["trends"] = {
        "title": _("Xu hướng theo tháng"),
        "unit": "",
        "labels": [s["month"].strftime("%m/%Y") for s in series],
        "series": [
            {"key": "received", "label": _("Tiếp nhận"), "values": [s["received"] for s in series]},
            {"key": "resolved", "label": _("Đã giải quyết"), "values": [s["resolved"] for s in series]},
            {
                "key": "on_time_rate",
                "label": _("Tỷ lệ đúng hạn (%)"),
                "values": [s["on_time_rate"] for s in series],
                "rate": True,
            },
            {
                "key": "online_share",
                "label": _("Tỷ lệ trực tuyến (%)"),
                "values": [s["online_share"] for s in series],
                "rate": True,
            },
        ],
        "links": [link("received", date_from=a.isoformat(), date_to=b.isoformat()) for a, b in months],
    }
    charts["satisfaction_time"] = {
        "title": _("Tỷ lệ hài lòng theo tháng"),
        "unit": "%",
        "labels": charts["trends"]["labels"],
        "series": [
            {
                "key": "satisfaction_rate",
                "label": _("Tỷ lệ hài lòng (%)"),
                "values": [s["satisfaction_rate"] for s in series],
                "rate": True,
            }
        ],
        "links": [link("rating_dissatisfied", date_from=a.isoformat(), date_to=b.isoformat()) for a, b in months],
        "line": True,
    }
    satisfied = _rank(agencies, "satisfaction_rate", reverse=True)
    charts["satisfaction_agency"] = {
        "title": _("Tỷ lệ hài lòng theo cơ quan"),
        "unit": "%",
        "labels": [str(e["name"]) for e in satisfied],
        "series": [
            {
                "key": "satisfaction_rate",
                "label": _("Tỷ lệ hài lòng (%)"),
                "values": [e["figures"]["satisfaction_rate"] for e in satisfied],
            }
        ],
        "links": [link("rating_dissatisfied", agency=e["id"], sub="1" if e.get("sub") else "0") for e in satisfied],
        "horizontal": True,
    }
    if index_result is not None:
        behind = {"timeliness": "resolved_late", "online": "received", "satisfaction": "rating_dissatisfied"}
        groups = index_result["groups"]
        charts["index_groups"] = {
            "title": _("Bộ chỉ số 766 theo nhóm (điểm / điểm tối đa), kỳ %(period)s")
            % {"period": index_result["period"]["key"]},
            "unit": "",
            "labels": [g["name"] for g in groups],
            "series": [
                {"key": "index", "label": _("Điểm đạt"), "values": [g["points"] for g in groups]},
                {"key": "index_max", "label": _("Điểm tối đa"), "values": [g["max_points"] for g in groups]},
            ],
            "links": [
                link(
                    behind.get(g["key"], "resolved"),
                    date_from=index_result["period"]["first_day"],
                    date_to=min(index_result["period"]["last_day"], report["last_day"].isoformat()),
                )
                for g in groups
            ],
            "horizontal": True,
        }
    for chart in charts.values():
        for s in chart["series"]:
            colour, point, dash = STYLES.get(s["key"], ("#495057", "rect", [4, 2]))
            s.update(colour=colour, point=point, dash=dash)
        chart["rows"] = [
            {"label": label, "values": [s["values"][n] for s in chart["series"]], "link": chart["links"][n]}
            for n, label in enumerate(chart["labels"])
        ]
    return charts
