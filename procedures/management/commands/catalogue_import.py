"""``manage.py catalogue_import FILE [--draft] [--check]``: load a catalogue JSON file, all or nothing."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from procedures.services import CatalogueImportError, catalogue_import_json, catalogue_validate_json


class Command(BaseCommand):
    help = "Nhập danh mục thủ tục từ tệp JSON (có lỗi thì không lưu gì). / Import the catalogue from JSON."

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON file in the catalogue_export format ('-' for standard input)")
        parser.add_argument("--draft", action="store_true", help="create drafts instead of publishing")
        parser.add_argument("--check", action="store_true", help="validate only, save nothing")

    def handle(self, *args, file: str, draft: bool = False, check: bool = False, **options):
        if file == "-":
            raw = sys.stdin.buffer.read()
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"Không tìm thấy tệp {file}.")
            raw = path.read_bytes()
        try:
            if check:
                count = catalogue_validate_json(raw=raw)
                self.stdout.write(self.style.SUCCESS(f"Tệp hợp lệ: {count} thủ tục (chưa lưu gì)."))
                return
            result = catalogue_import_json(raw=raw, publish=not draft)
        except CatalogueImportError as error:
            for message in error.messages:
                self.stderr.write(message)
            raise CommandError(f"Tệp có {len(error.problems)} lỗi; chưa có thay đổi nào được lưu.") from None
        self.stdout.write(self.style.SUCCESS(result.summary()))
