"""Re-check the hash chains of dossier events; exit non-zero naming every break."""

from django.core.management.base import BaseCommand, CommandError

from dossiers.core.events import events_verify
from dossiers.models import Dossier


class Command(BaseCommand):
    help = "Kiểm tra chuỗi băm nhật ký hồ sơ. / Verify the hash chains of dossier events."

    def add_arguments(self, parser):
        parser.add_argument("--code", action="append", dest="codes", help="Dossier code (repeatable).")

    def handle(self, *args, codes=None, **options):
        breaks = events_verify(codes=codes)
        if codes:
            missing = set(codes) - set(Dossier.objects.filter(code__in=codes).values_list("code", flat=True))
            if missing:
                raise CommandError(f"Không có hồ sơ / no dossier: {', '.join(sorted(missing))}")
        for b in breaks:
            self.stderr.write(f"{b.dossier_code or b.dossier_id}: {b.reason}")
        if breaks:
            raise CommandError(f"{len(breaks)} chuỗi bị phá vỡ / broken chain(s).")
        self.stdout.write(self.style.SUCCESS("Mọi chuỗi nhật ký hợp lệ / all event chains verify."))
