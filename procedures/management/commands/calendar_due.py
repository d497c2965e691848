"""Print the due datetime (hạn giải quyết) of a dossier received at a given moment.

    python manage.py calendar_due --from 2026-02-13T10:00:00+07:00 --days 3 [--hours 4] [--agency CODE]

Prints only the due datetime in ISO 8601 with its offset (+07:00). ``--days`` defaults to 0
(with no ``--hours`` either, the same-day rule applies); days are counted first, then hours.
"""

from django.core.management.base import BaseCommand, CommandError

from procedures.calendar import MAX_DAYS, MAX_HOURS, CalendarError, format_iso, parse_count, parse_received_at
from procedures.working_time import agency_by_code, due_datetime


class Command(BaseCommand):
    help = "Tính hạn giải quyết theo lịch làm việc và in ra (ISO 8601). / Print the due datetime (ISO 8601)."

    def add_arguments(self, parser):
        # Taken as strings so that bad values get our bilingual message, not argparse's.
        parser.add_argument("--from", dest="received_at", required=True, help="ISO 8601, e.g. 2026-02-13T10:00+07:00")
        parser.add_argument("--days", default="0", help="working days (ngày làm việc), default 0")
        parser.add_argument("--hours", default="0", help="working hours (giờ làm việc), default 0")
        parser.add_argument("--agency", default=None, help="agency unit code (mã đơn vị); default calendar if omitted")

    def handle(self, *args, received_at, days, hours, agency, **options):
        try:
            received = parse_received_at(received_at)
            days_count = parse_count(days, field="days", maximum=MAX_DAYS)
            hours_count = parse_count(hours, field="hours", maximum=MAX_HOURS)
            agency_obj = agency_by_code(agency) if agency is not None else None
            due = due_datetime(received, days=days_count, hours=hours_count, agency=agency_obj)
        except CalendarError as error:
            raise CommandError(f"{error.message} / {error.english}") from None
        self.stdout.write(format_iso(due))
