"""Re-roll past days whose roll-up predates dossiers 0022 (digitisation and national sync).

Rows rolled up before 0022 hold zero in ``documents``, ``documents_digitised``,
``documents_exempt`` and ``received_synced``. This command finds the days where every row has
those four at zero, rolls each day up again from the dossiers (``stats_rollup_day``: one day per
transaction, so batches stay small) and then each touched month once. Idempotent: a re-rolled day
gets the same figures on a second run, and a day that already has the new figures is skipped.
"""

import datetime as dt

from django.core.management.base import BaseCommand
from django.db.models import Max

from dossiers.models import DailyStat
from dossiers.stats import service

NEW_FIELDS = ("documents", "documents_digitised", "documents_exempt", "received_synced")


def days_to_backfill(*, since: dt.date | None = None, until: dt.date | None = None) -> list[dt.date]:
    rows = DailyStat.objects.all()
    if since:
        rows = rows.filter(day__gte=since)
    if until:
        rows = rows.filter(day__lte=until)
    per_day = rows.values("day").annotate(**{f"max_{f}": Max(f) for f in NEW_FIELDS}).order_by("day")
    return [r["day"] for r in per_day if not any(r[f"max_{f}"] for f in NEW_FIELDS)]


class Command(BaseCommand):
    help = "Tính lại số liệu tổng hợp của các ngày tổng hợp trước migration 0022 (số hóa, đồng bộ)."

    def add_arguments(self, parser):
        parser.add_argument("--since", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--until", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--batch", type=int, default=30, help="days between progress lines")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, since=None, until=None, batch=30, dry_run=False, **options):
        days = days_to_backfill(since=since, until=until)
        self.stdout.write(f"{len(days)} ngày cần tính lại.")
        if dry_run or not days:
            return
        months = set()
        for number, day in enumerate(days, start=1):
            service.stats_rollup_day(day=day, monthly=False)
            months.add(day.replace(day=1))
            if number % batch == 0 or number == len(days):
                self.stdout.write(f"{number}/{len(days)} ngày (đến {day.isoformat()}).")
        for month in sorted(months):
            service.stats_rollup_month(month=month)
        self.stdout.write(f"Đã tính lại {len(days)} ngày, {len(months)} tháng.")
