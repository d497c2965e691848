"""Figures for pages, exports and the API: the roll-up table plus the live current day.

``stats_rollup_day`` (Celery, nightly) rewrites one day of ``DailyStat``. ``stats_rows``
reads a period for a scope as rows per agency × procedure × channel: flows summed over the
rolled-up days, the current day counted live (cached for ``LIVE_TTL`` seconds), the stock
of the period's last day, and the stock of the eve of its first day (carried over).
``summarise`` turns any set of rows into the figures of ``definitions.FIGURES``.
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from dossiers.models import DailyStat, Dossier, MonthlyStat
from dossiers.stats import compute
from dossiers.stats import definitions as d
from portal.db_router import replica_reads
from procedures.models import Agency, Procedure

# The current day is counted live at most this often (seconds); the beat task refreshes it.
LIVE_TTL = 60


@dataclass(frozen=True)
class Scope:
    """Which dossiers a figure covers: agencies (None: all), a procedure, a field (lĩnh vực)."""

    agency_ids: frozenset[int] | None = None
    procedure_id: int | None = None
    sector_id: int | None = None

    def _q(self, agency_field: str) -> Q:
        q = Q()
        if self.agency_ids is not None:
            q &= Q(**{f"{agency_field}__in": self.agency_ids})
        if self.procedure_id:
            q &= Q(procedure_id=self.procedure_id)
        if self.sector_id:
            q &= Q(procedure__sector_id=self.sector_id)
        return q

    def dossier_q(self) -> Q:
        return self._q("receiving_agency_id")

    def rollup_q(self) -> Q:
        return self._q("agency_id")


# ---------------------------------------------------------------------------- agency tree
def agency_tree() -> dict:
    """{id: {"id", "code", "name", "parent_id", "children": [...]}} of active agencies."""
    nodes = {
        a["id"]: {**a, "children": []}
        for a in Agency.objects.filter(is_active=True).values("id", "code", "name", "short_name", "parent_id")
    }
    for node in nodes.values():
        if node["parent_id"] in nodes:
            nodes[node["parent_id"]]["children"].append(node["id"])
    return nodes


def subtree(tree: dict, agency_id: int) -> set[int]:
    found, stack = set(), [agency_id]
    while stack:
        current = stack.pop()
        if current in found or current not in tree:
            continue
        found.add(current)
        stack.extend(tree[current]["children"])
    return found


# ---------------------------------------------------------------------------- roll-up
def stats_rollup_month(*, month: dt.date) -> int:
    """Rewrite the monthly rows (``MonthlyStat``) of the month holding ``month`` from its days."""
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    now = timezone.now()
    sums = (
        DailyStat.objects.filter(day__gte=first, day__lt=following)
        .values("agency_id", "channel")
        .annotate(**{f"s_{f}": Sum(f) for f in d.MONTHLY_FIELDS})
        .order_by()
    )
    paid: dict[tuple, list[int]] = {}
    for agency_id, channel, procedure_id in (
        DailyStat.objects.filter(day__gte=first, day__lt=following, paid_online__gt=0)
        .values_list("agency_id", "channel", "procedure_id")
        .distinct()
        .order_by("procedure_id")
    ):
        paid.setdefault((agency_id, channel), []).append(procedure_id)
    with transaction.atomic():
        MonthlyStat.objects.filter(month=first).delete()
        rows = MonthlyStat.objects.bulk_create(
            [
                MonthlyStat(
                    month=first,
                    agency_id=v["agency_id"],
                    channel=v["channel"],
                    computed_at=now,
                    paid_online_procedures=paid.get((v["agency_id"], v["channel"]), []),
                    **{f: v[f"s_{f}"] for f in d.MONTHLY_FIELDS},
                )
                for v in sums
            ],
            batch_size=1000,
        )
    return len(rows)


def stats_rollup_day(*, day: dt.date, monthly: bool = True) -> int:
    """Rewrite the roll-up rows of one past day (and, when ``monthly``, its month's rows);
    returns how many daily rows it holds."""
    start, end = compute.day_bounds(day)
    rows = compute.period_rows(start=start, end=end, moment=end)
    now = timezone.now()
    with transaction.atomic():
        DailyStat.objects.filter(day=day).delete()
        DailyStat.objects.bulk_create(
            [
                DailyStat(
                    day=day,
                    agency_id=r["receiving_agency_id"],
                    procedure_id=r["procedure_id"],
                    channel=r["channel"],
                    computed_at=now,
                    processing_days=r["processing_days"],
                    **{f: r[f] for f in (*d.FLOW_FIELDS, *d.STOCK_FIELDS)},
                )
                for r in rows
            ],
            batch_size=1000,
        )
    if monthly:
        stats_rollup_month(month=day)
    return len(rows)


def stats_rollup_pending(*, max_days: int = 400) -> list[dt.date]:
    """Roll up every day missing since the first dossier was received (at most the ``max_days``
    most recent), and always yesterday, whose stock is taken once the day is over."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    first = (
        Dossier.objects.filter(received_at__isnull=False).order_by("received_at").values_list("received_at", flat=True)
    ).first()
    start = max(
        timezone.localdate(first) - dt.timedelta(days=1) if first else yesterday,
        yesterday - dt.timedelta(days=max_days),
    )
    done = set(DailyStat.objects.filter(day__gte=start).values_list("day", flat=True).distinct())
    days = [start + dt.timedelta(days=n) for n in range((yesterday - start).days)]
    days = [day for day in days if day not in done] + [yesterday]
    for day in days:
        stats_rollup_day(day=day, monthly=False)
    # Each month touched once; and the months rolled up before the monthly table existed.
    months = {day.replace(day=1) for day in days}
    months |= set(DailyStat.objects.filter(day__gte=start).dates("day", "month")) - set(
        MonthlyStat.objects.filter(month__gte=start.replace(day=1)).dates("month", "month")
    )
    for month in sorted(months):
        stats_rollup_month(month=month)
    return days


# ---------------------------------------------------------------------------- reading
def _live_key(day: dt.date) -> str:
    return f"stats:live:{day.isoformat()}"


def stats_refresh_live() -> int:
    """Count the current day now and cache it (beat, every minute, so no reader waits for it).

    Reads today's rows through indexes, the open dossiers through their covering index, and
    works out the processing time only of dossiers resolved since the previous refresh."""
    today = timezone.localdate()
    start, end = compute.day_bounds(today)
    memo_key = f"{_live_key(today)}:minutes"
    memo = cache.get(memo_key) or {}
    rows = compute.period_rows(start=start, end=end, moment=timezone.now(), live=True, minutes_memo=memo)
    cache.set(_live_key(today), rows, 2 * LIVE_TTL)
    cache.set(memo_key, memo, 24 * 3600)
    return len(rows)


def _live_rows() -> list[dict]:
    rows = cache.get(_live_key(timezone.localdate()))
    if rows is None:
        stats_refresh_live()
        rows = cache.get(_live_key(timezone.localdate())) or []
    return rows


def _in_scope(row: dict, scope: Scope, procedure_sectors: dict | None) -> bool:
    if scope.agency_ids is not None and row["agency_id"] not in scope.agency_ids:
        return False
    if scope.procedure_id and row["procedure_id"] != scope.procedure_id:
        return False
    return not (scope.sector_id and procedure_sectors.get(row["procedure_id"]) != scope.sector_id)


def live_rows_in_scope(scope: Scope):
    """Today's live rows within ``scope``, keyed by ``agency_id`` like the roll-up's."""
    sectors = procedure_sectors() if scope.sector_id else None
    for live in _live_rows():
        live = {**live, "agency_id": live["receiving_agency_id"]}
        if _in_scope(live, scope, sectors):
            yield live


def procedure_sectors() -> dict[int, int]:
    """{procedure id: its field (lĩnh vực) id}."""
    return dict(Procedure.objects.values_list("id", "sector_id"))


@replica_reads()
def stats_rows(*, scope: Scope, first_day: dt.date, last_day: dt.date) -> list[dict]:
    """Rows per agency × procedure × channel for the days [first_day, last_day]."""
    today = timezone.localdate()
    rows: dict[tuple, dict] = {}

    def row(key) -> dict:
        if key not in rows:
            rows[key] = {
                "agency_id": key[0],
                "procedure_id": key[1],
                "channel": key[2],
                "carried_over": 0,
                "processing_days": Counter(),
            } | dict.fromkeys((*d.FLOW_FIELDS, *d.STOCK_FIELDS), 0)
        return rows[key]

    base = DailyStat.objects.filter(scope.rollup_q())
    past_last = min(last_day, today - dt.timedelta(days=1))
    if first_day <= past_last:
        flows = base.filter(day__gte=first_day, day__lte=past_last).values("agency_id", "procedure_id", "channel")
        for values in flows.annotate(**{f"s_{f}": Sum(f) for f in d.FLOW_FIELDS}).order_by():
            target = row((values["agency_id"], values["procedure_id"], values["channel"]))
            for f in d.FLOW_FIELDS:
                target[f] += values[f"s_{f}"]
        histograms = base.filter(day__gte=first_day, day__lte=past_last).exclude(processing_days={})
        for agency_id, procedure_id, channel, days in histograms.values_list(
            "agency_id", "procedure_id", "channel", "processing_days"
        ):
            row((agency_id, procedure_id, channel))["processing_days"].update(days)
    snapshot_days = {"carried": first_day - dt.timedelta(days=1)}
    if last_day < today:
        snapshot_days["stock"] = last_day
    for which, day in snapshot_days.items():
        for values in base.filter(day=day).values("agency_id", "procedure_id", "channel", *d.STOCK_FIELDS):
            target = row((values["agency_id"], values["procedure_id"], values["channel"]))
            if which == "carried":
                target["carried_over"] += sum(values[f] for f in d.STOCK_FIELDS)
            else:
                for f in d.STOCK_FIELDS:
                    target[f] += values[f]
    if last_day >= today:
        for live in live_rows_in_scope(scope):
            target = row((live["agency_id"], live["procedure_id"], live["channel"]))
            for f in (*d.FLOW_FIELDS, *d.STOCK_FIELDS):
                target[f] += live.get(f, 0)  # a row cached before a deploy may lack a new counter
            target["processing_days"].update(live["processing_days"])
    return list(rows.values())


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def summarise(rows: Iterable[dict]) -> dict:
    """The figures (``definitions.FIGURES`` keys) of a set of rows."""
    rows = list(rows)
    total = {f: sum(r.get(f, 0) for r in rows) for f in (*d.FLOW_FIELDS, *d.STOCK_FIELDS, "carried_over")}
    by_channel = Counter()
    histogram = Counter()
    for r in rows:
        by_channel[r["channel"]] += r.get("received", 0)
        histogram.update({int(k): v for k, v in dict(r.get("processing_days") or {}).items()})
    resolved = total["resolved_early"] + total["resolved_on_time"] + total["resolved_late"]
    ratings = total["rating_very_satisfied"] + total["rating_satisfied"] + total["rating_dissatisfied"]
    p90 = None
    if resolved:
        needed, seen = 0.9 * sum(histogram.values()), 0
        for days in sorted(histogram):
            seen += histogram[days]
            if seen >= needed:
                p90 = days
                break
    return {
        "carried_over": total["carried_over"],
        "received": total["received"],
        "received_online": by_channel["online"],
        "received_counter": by_channel["counter"],
        "received_post": by_channel["post"],
        "resolved": resolved,
        "resolved_early": total["resolved_early"],
        "resolved_on_time": total["resolved_on_time"],
        "resolved_late": total["resolved_late"],
        "in_progress_on_time": total["open_on_time"],
        "in_progress_overdue": total["open_overdue"],
        "paused_supplement": total["paused_supplement"],
        "paused_payment": total["paused_payment"],
        "stopped": total["stopped"],
        "withdrawn": total["withdrawn"],
        "refused": total["refused"],
        "on_time_rate": _rate(total["resolved_early"] + total["resolved_on_time"], resolved),
        "online_share": _rate(by_channel["online"], total["received"]),
        "avg_processing_days": (
            round(total["processing_minutes"] / d.MINUTES_PER_WORKING_DAY / resolved, 2) if resolved else None
        ),
        "p90_processing_days": p90,
        "fees_online": total["fees_online"],
        "rating_very_satisfied": total["rating_very_satisfied"],
        "rating_satisfied": total["rating_satisfied"],
        "rating_dissatisfied": total["rating_dissatisfied"],
        "satisfaction_rate": _rate(total["rating_very_satisfied"] + total["rating_satisfied"], ratings),
        "apologies": total["apologies"],
    }


def stats_direct(*, scope: Scope, first_day: dt.date, last_day: dt.date) -> dict:
    """The same figures counted straight from the dossiers (checks; small scopes)."""
    start, _ = compute.day_bounds(first_day)
    _, end = compute.day_bounds(last_day)
    rows = compute.period_rows(start=start, end=end, scope=scope.dossier_q(), carried_over=True)
    return summarise({**r, "agency_id": r["receiving_agency_id"]} for r in rows)


def group(rows: list[dict], key: Callable[[dict], object]) -> dict:
    groups: dict = {}
    for r in rows:
        k = key(r)
        if k is not None:
            groups.setdefault(k, []).append(r)
    return {k: summarise(v) for k, v in groups.items()}


@replica_reads()
def monthly_series(*, scope: Scope, first_day: dt.date, last_day: dt.date, by_agency: bool = False) -> list[dict]:
    """Received (and online), resolved and ratings per month (roll-up days; the current day
    is added live), with the on-time rate, the online share and the satisfaction rate."""
    fields = (
        "received",
        "resolved_early",
        "resolved_on_time",
        "resolved_late",
        "rating_very_satisfied",
        "rating_satisfied",
        "rating_dissatisfied",
    )
    values = ["month", "agency_id"] if by_agency else ["month"]
    queryset = (
        DailyStat.objects.filter(scope.rollup_q(), day__gte=first_day, day__lte=last_day)
        .annotate(month=TruncMonth("day"))
        .values(*values)
        .annotate(received_online=Sum("received", filter=Q(channel="online")))
        .annotate(**{f: Sum(f) for f in fields})
        .order_by(*values)
    )
    every = (*fields, "received_online")
    series = {}
    for v in queryset:
        series[(v["month"], v.get("agency_id"))] = {f: v[f] or 0 for f in every} | {
            "month": v["month"],
            "agency_id": v.get("agency_id"),
        }
    today = timezone.localdate()
    if first_day <= today <= last_day:
        month = today.replace(day=1)
        for live in live_rows_in_scope(scope):
            key = (month, live["agency_id"] if by_agency else None)
            target = series.setdefault(key, dict.fromkeys(every, 0) | {"month": month, "agency_id": key[1]})
            for f in fields:
                target[f] += live.get(f, 0)  # a row cached before a deploy may lack a new counter
            if live["channel"] == "online":
                target["received_online"] += live["received"]
    out = []
    for entry in sorted(series.values(), key=lambda e: (e["month"], e["agency_id"] or 0)):
        resolved = entry["resolved_early"] + entry["resolved_on_time"] + entry["resolved_late"]
        ratings = entry["rating_very_satisfied"] + entry["rating_satisfied"] + entry["rating_dissatisfied"]
        out.append(
            entry
            | {
                "resolved": resolved,
                "on_time_rate": _rate(entry["resolved_early"] + entry["resolved_on_time"], resolved),
                "online_share": _rate(entry["received_online"], entry["received"]),
                "satisfaction_rate": _rate(entry["rating_very_satisfied"] + entry["rating_satisfied"], ratings),
            }
        )
    return out


def dossiers_behind(*, figure: str, scope: Scope, first_day: dt.date, last_day: dt.date):
    """The dossiers a count figure is made of (the list behind a number)."""
    spec = d.FIGURES_BY_KEY[figure]
    start, _ = compute.day_bounds(first_day)
    _, end = compute.day_bounds(last_day)
    moment = min(end, timezone.now())
    return d.dossiers().filter(scope.dossier_q()).filter(spec.condition(start, end, moment))


LIST_FIELDS = (
    "code",
    "channel",
    "state",
    "received_at",
    "due_at",
    "original_due_at",
    "resolved_at",
    "closed_at",
    "rated_at",
    "apology_at",
    "procedure__code",
    "procedure__name",
    "receiving_agency__name",
)


class BadCursor(ValueError):
    pass


def _cursor_parse(cursor: str) -> tuple[dt.datetime, int] | None:
    if not cursor:
        return None
    moment, _, pk = cursor.rpartition("~")
    try:
        parsed = dt.datetime.fromisoformat(moment)
        number = int(pk)
    except ValueError:
        raise BadCursor(cursor) from None
    if parsed.tzinfo is None or number <= 0:
        raise BadCursor(cursor)
    return parsed, number


@replica_reads()
def dossiers_behind_page(
    *, figure: str, scope: Scope, first_day: dt.date, last_day: dt.date, after: str = "", size: int = 50
) -> tuple[list, str | None]:
    """One page of the list behind a number, newest first by the figure's ``sorted_by`` moment,
    and the cursor of the next page (None on the last one). Raises ``BadCursor``.

    Keyset paging, no OFFSET and no COUNT: each agency of the scope gives its first ``size + 1``
    rows past the cursor from its (agency, moment) index, the database merges those few (one
    UNION ALL), and a second query loads the page's dossiers. The cost follows the page size
    and the number of agencies, not the number of dossiers behind the figure.
    """
    field = d.FIGURES_BY_KEY[figure].sorted_by
    queryset = dossiers_behind(figure=figure, scope=scope, first_day=first_day, last_day=last_day)
    cursor = _cursor_parse(after)
    if cursor is not None:
        moment, pk = cursor
        queryset = queryset.filter(Q(**{f"{field}__lte": moment}) & (Q(**{f"{field}__lt": moment}) | Q(pk__lt=pk)))
    ordered = queryset.order_by(f"-{field}", "-pk").values_list(field, "pk")
    if scope.agency_ids is not None and len(scope.agency_ids) > 1:
        parts = [ordered.filter(receiving_agency_id=a)[: size + 1] for a in sorted(scope.agency_ids)]
        keys = sorted(parts[0].union(*parts[1:], all=True), reverse=True)[: size + 1]
    elif scope.agency_ids is not None and not scope.agency_ids:
        keys = []
    else:
        keys = list(ordered[: size + 1])
    shown = keys[:size]
    by_pk = (
        Dossier.objects.select_related("procedure", "receiving_agency")
        .only(*LIST_FIELDS)
        .in_bulk([pk for _m, pk in shown])
    )
    rows = [by_pk[pk] for _m, pk in shown if pk in by_pk]
    following = f"{shown[-1][0].isoformat()}~{shown[-1][1]}" if len(keys) > size else None
    return rows, following
