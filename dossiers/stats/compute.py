"""Counting figures straight from the dossiers: one day for the roll-up, any period for checks.

``period_rows`` returns one row per receiving agency × procedure × channel with every counter
of ``DailyStat`` for [start, end) (stock taken at ``moment``), plus ``carried_over`` when
asked. The nightly roll-up stores it for one day; the live current day and the list of
dossiers behind a number use the same conditions (``definitions``).
"""

import datetime as dt
import math
from collections import Counter

from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, F, Q, Value
from django.utils import timezone

from dossiers.models import DossierDocument, DossierEvent, Payment
from dossiers.stats import definitions as d
from procedures import selectors as procedure_selectors
from procedures.models import Agency

KEY = ("receiving_agency_id", "procedure_id", "channel")
COUNTED = {
    "received": "received",
    "resolved_early": "resolved_early",
    "resolved_on_time": "resolved_on_time",
    "resolved_late": "resolved_late",
    "refused": "refused",
    "withdrawn": "withdrawn",
    "stopped": "stopped",
    "apologies": "apologies",
    "rating_very_satisfied": "rating_very_satisfied",
    "rating_satisfied": "rating_satisfied",
    "rating_dissatisfied": "rating_dissatisfied",
    "open_on_time": "in_progress_on_time",
    "open_overdue": "in_progress_overdue",
    "paused_supplement": "paused_supplement",
    "paused_payment": "paused_payment",
}


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def processing_minutes(*, counter, received_at: dt.datetime, resolved_at: dt.datetime, paused_minutes: int) -> int:
    """Working minutes from receipt to resolution less the time paused; ``counter`` is the agency's
    ``procedure_selectors.working_minutes_counter``."""
    return max(0, counter(received_at, resolved_at) - (paused_minutes or 0))


def working_days(minutes: int) -> int:
    return math.ceil(minutes / d.MINUTES_PER_WORKING_DAY)


def _no_jit() -> None:
    """These aggregates are planned as costly enough for PostgreSQL's JIT, whose compilation
    (about a second) costs more than it saves on them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def period_rows(
    *,
    start: dt.datetime,
    end: dt.datetime,
    moment: dt.datetime | None = None,
    scope: Q | None = None,
    carried_over: bool = False,
    live: bool = False,
    minutes_memo: dict | None = None,
) -> list[dict]:
    """Counters per agency × procedure × channel, straight from the dossiers.

    ``live``: the current day, its stock taken now. Instead of one pass over every dossier,
    the day's flows are read through the (agency, moment) indexes (today's rows only) and the
    stock through the covering index of the open dossiers (``definitions.stock_now``).
    ``minutes_memo``: the working minutes of the resolved dossiers counted by the previous call
    (read, then replaced by this call's).
    """
    with transaction.atomic():
        _no_jit()
        return _period_rows(
            start=start,
            end=end,
            moment=moment,
            scope=scope,
            carried_over=carried_over,
            live=live,
            minutes_memo=minutes_memo,
        )


def _count_payments(*, start, end, scope, row) -> None:
    """Fees paid online in [start, end) (``fees_online``), and the dossiers whose fees were paid:
    online (a gateway payment succeeded) and at all (online, or the ``payment_received`` record of
    a payment at the counter). One query: the payments and the records side by side."""
    fields = ("dossier__receiving_agency_id", "dossier__procedure_id", "dossier__channel", "dossier_id")
    payments = Payment.objects.filter(status="succeeded", paid_at__gte=start, paid_at__lt=end)
    records = DossierEvent.objects.filter(action="payment_received", created_at__gte=start, created_at__lt=end)
    if scope is not None:
        inside = d.dossiers().filter(scope).values("pk")
        payments, records = payments.filter(dossier__in=inside), records.filter(dossier__in=inside)
    online = payments.annotate(paid=F("amount")).values_list(*fields, "paid").order_by()
    counter = records.annotate(paid=Value(None, output_field=BigIntegerField())).values_list(*fields, "paid")
    paid: dict[int, tuple] = {}
    for agency_id, procedure_id, channel, dossier_id, amount in online.union(counter.order_by(), all=True):
        key = (agency_id, procedure_id, channel)
        if amount is not None:
            row(key)["fees_online"] += amount
        seen = paid.get(dossier_id)
        paid[dossier_id] = (key, amount is not None or (seen is not None and seen[1]))
    for key, was_online in paid.values():
        target = row(key)
        target["paid_any"] += 1
        target["paid_online"] += was_online


def _count_documents(*, start, end, scope, restriction, row) -> None:
    """Digitisation (số hóa) of the current documents of the dossiers received in [start, end):
    all of them, those digitised (``digitised_at``: scanned, uploaded, reused) and those not
    digitised for a reason the rule in force allows (``digitisation_exempt``). One query.
    A document digitised after the day was rolled up counts when the day is rolled up again."""
    dossiers = d.dossiers().filter(restriction, received_at__gte=start, received_at__lt=end)
    if scope is not None:
        dossiers = dossiers.filter(scope)
    fields = ("dossier__receiving_agency_id", "dossier__procedure_id", "dossier__channel")
    counts = (
        DossierDocument.objects.filter(superseded_at__isnull=True, dossier__in=dossiers.values("pk"))
        .values(*fields)
        .annotate(
            documents=Count("pk"),
            documents_digitised=Count("pk", filter=Q(digitised_at__isnull=False)),
            documents_exempt=Count("pk", filter=Q(digitised_at__isnull=True) & ~Q(digitisation_exempt="")),
        )
        .order_by()
    )
    for values in counts:
        target = row(tuple(values[f] for f in fields))
        for field in d.DOCUMENT_FIELDS:
            target[field] += values[field]


def _period_rows(*, start, end, moment, scope, carried_over, live, minutes_memo) -> list[dict]:
    moment = min(end, moment or timezone.now())
    conditions = {field: d.FIGURES_BY_KEY[key].condition(start, end, moment) for field, key in COUNTED.items()}
    conditions |= {field: condition(start, end) for field, condition in d.INDEX_CONDITIONS.items()}
    if carried_over:
        conditions["carried_over"] = d.q_open(start)
    if live:
        flows = {field: q for field, q in conditions.items() if field not in d.STOCK_FIELDS}
        # Naming every agency lets each OR arm below use its (agency, moment) index.
        every_agency = Q(receiving_agency_id__in=list(Agency.objects.values_list("pk", flat=True)))
        passes = [(flows, every_agency)]
    else:
        passes = [(conditions, Q())]
    rows: dict[tuple, dict] = {}

    def row(key: tuple) -> dict:
        if key not in rows:
            rows[key] = dict(zip(KEY, key, strict=True)) | {
                "fees_online": 0,
                "paid_online": 0,
                "paid_any": 0,
                **dict.fromkeys(d.DOCUMENT_FIELDS, 0),
                "processing_minutes": 0,
                "processing_days": {},
            }
            for field in conditions:
                rows[key][field] = 0
        return rows[key]

    for counted, restriction in passes:
        candidates = Q()
        for condition in counted.values():
            candidates |= condition
        queryset = d.dossiers().filter(restriction, candidates)
        if scope is not None:
            queryset = queryset.filter(scope)
        # ``state`` (never null) rather than ``id``: the stock pass then reads nothing that its
        # covering index does not hold.
        aggregates = {field: Count("state", filter=condition) for field, condition in counted.items()}
        for values in queryset.values(*KEY).annotate(**aggregates).order_by():
            row(tuple(values[k] for k in KEY)).update({f: values[f] for f in counted})
    if live:
        open_now = d.dossiers().filter(state__in=d.OPEN_NOW, received_at__lt=moment)
        if scope is not None:
            open_now = open_now.filter(scope)
        counts = {name: Count("state", filter=q) for name, q in d.stock_now_counts(moment).items()}
        for values in open_now.values(*KEY, "state").annotate(**counts).order_by():
            target = row(tuple(values[k] for k in KEY))
            for field, value in d.stock_now(values["state"], values).items():
                target[field] += value

    _count_payments(start=start, end=end, scope=scope, row=row)
    # Naming every agency lets the day's dossiers be found by their (agency, received_at) index.
    agencies_named = (
        every_agency if live else Q(receiving_agency_id__in=list(Agency.objects.values_list("pk", flat=True)))
    )
    _count_documents(start=start, end=end, scope=scope, restriction=agencies_named, row=row)

    resolved = d.dossiers().filter(d.q_resolved(start, end))
    if live:
        resolved = resolved.filter(every_agency)
    if scope is not None:
        resolved = resolved.filter(scope)
    agencies = {}
    histograms: dict[tuple, Counter] = {}
    seen: dict = {}
    for values in resolved.values("pk", *KEY, "received_at", "resolved_at", "paused_minutes").order_by():
        if values["received_at"] is None:
            continue
        agency_id = values["receiving_agency_id"]
        # Working minutes cost a walk over the calendar: the live day remembers them between
        # refreshes, per dossier and for the same inputs.
        memo_key = (values["pk"], agency_id, values["received_at"], values["resolved_at"], values["paused_minutes"])
        minutes = minutes_memo.get(memo_key) if minutes_memo is not None else None
        if minutes is None:
            if agency_id not in agencies:
                agencies[agency_id] = procedure_selectors.working_minutes_counter(
                    agency=Agency.objects.get(pk=agency_id)
                )
            minutes = processing_minutes(
                counter=agencies[agency_id],
                received_at=values["received_at"],
                resolved_at=values["resolved_at"],
                paused_minutes=values["paused_minutes"],
            )
        seen[memo_key] = minutes
        key = tuple(values[k] for k in KEY)
        row(key)["processing_minutes"] += minutes
        histograms.setdefault(key, Counter())[str(working_days(minutes))] += 1
    for key, histogram in histograms.items():
        rows[key]["processing_days"] = dict(histogram)
    if minutes_memo is not None:
        minutes_memo.clear()
        minutes_memo.update(seen)
    return [
        r
        for r in rows.values()
        if any(r[f] for f in (*conditions, *d.DOCUMENT_FIELDS, "fees_online", "paid_any", "processing_minutes"))
        or r["processing_days"]
    ]
