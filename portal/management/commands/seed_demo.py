"""Idempotent demo data: a small province with agencies, officers, a citizen and a business.

Each app contributes a step, a function ``<app>.demo.<name>(stdout=...)`` listed in
``SEED_STEPS`` and called in that order: the accounts first (``portal.demo``), then the
agencies and their officers, the catalogue, and what the later apps add. The command names
the steps and never imports the apps above portal.
"""

import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.beat import sync_beat_schedule

SEED_STEPS = [
    "portal.demo.seed",
    "procedures.demo.seed_agencies",
    "procedures.demo.seed",
    "dossiers.demo.seed",
    "signing.demo.seed",
]


class Command(BaseCommand):
    help = "Nạp dữ liệu mẫu (chạy lại nhiều lần không tạo trùng). / Load idempotent demo data."

    @transaction.atomic
    def handle(self, *args, **options):
        if "production" in (settings.SETTINGS_MODULE or ""):
            raise CommandError("seed_demo bị từ chối trong môi trường production / refused under production settings.")
        for step in SEED_STEPS:
            module_name, func = step.rsplit(".", 1)
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == module_name:
                    continue
                raise
            getattr(module, func)(stdout=self.stdout)
        # The default periodic tasks, so the admin's beat schedule is complete before beat starts.
        sync_beat_schedule()
        self.stdout.write(self.style.SUCCESS("Đã nạp dữ liệu mẫu / demo data loaded."))
