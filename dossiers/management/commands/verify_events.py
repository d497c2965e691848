"""Re-check the MAC chains of dossier events; exit non-zero naming every break.

With ``--anchor FILE`` (a daily anchor downloaded from the admin) the file's seal and digest
are checked first, then every anchored dossier's chain must still end on the anchored MAC.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError

from dossiers.core.events import events_verify
from dossiers.models import Dossier
from dossiers.services.anchors import event_anchor_read


class Command(BaseCommand):
    help = "Kiểm tra chuỗi nhật ký hồ sơ (HMAC), tùy chọn đối chiếu tệp neo. / Verify the dossier event chains."

    def add_arguments(self, parser):
        parser.add_argument("--code", action="append", dest="codes", help="Dossier code (repeatable).")
        parser.add_argument("--anchor", dest="anchor", help="A signed anchor file (PDF) to check the chains against.")

    def handle(self, *args, codes=None, anchor=None, **options):
        heads = None
        if anchor:
            try:
                data = Path(anchor).read_bytes()
            except OSError as exc:
                raise CommandError(f"Không đọc được tệp neo / cannot read the anchor file: {exc}") from exc
            try:
                reading = event_anchor_read(data=data)
            except ValidationError as exc:
                raise CommandError(f"Tệp neo bị từ chối / anchor refused: {' '.join(exc.messages)}") from exc
            heads = reading.heads
            for report in reading.signatures:
                stamp = report.timestamp.isoformat() if report.timestamp else "-"
                self.stdout.write(
                    f"Neo ngày / anchor of {reading.day}: {report.signer}, dấu thời gian / timestamp {stamp}"
                )
            self.stdout.write(f"{reading.count} hồ sơ được neo / dossiers anchored, digest {reading.digest}")
        try:
            breaks = events_verify(codes=codes, anchor=heads)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if codes:
            missing = set(codes) - set(Dossier.objects.filter(code__in=codes).values_list("code", flat=True))
            if missing:
                raise CommandError(f"Không có hồ sơ / no dossier: {', '.join(sorted(missing))}")
        for b in breaks:
            self.stderr.write(f"{b.dossier_code or b.dossier_id}: {b.reason}")
        if breaks:
            raise CommandError(f"{len(breaks)} chuỗi bị phá vỡ / broken chain(s).")
        self.stdout.write(self.style.SUCCESS("Mọi chuỗi nhật ký hợp lệ / all event chains verify."))
