"""``manage.py catalogue_export [--output FILE]``: the whole published catalogue as one JSON file."""

from pathlib import Path

from django.core.management.base import BaseCommand

from procedures.services import catalogue_export_json


class Command(BaseCommand):
    help = "Xuất toàn bộ danh mục thủ tục ra một tệp JSON. / Export the whole catalogue as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="output file; standard output when omitted")

    def handle(self, *args, output=None, **options):
        text = catalogue_export_json()
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Đã ghi {output}")
        else:
            self.stdout.write(text)
