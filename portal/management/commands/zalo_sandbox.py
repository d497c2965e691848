"""``manage.py zalo_sandbox``: run the sandbox Zalo server (`portal.zalo_sandbox`) for `make run`."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.zalo_sandbox import SANDBOX_LABEL, ZaloSandbox


class Command(BaseCommand):
    help = "Run the sandbox Zalo server (ZNS, OA messages, signed webhook calls); dev only."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=getattr(settings, "ZALO_SANDBOX_PORT", 8026))
        parser.add_argument("--webhook", default=settings.SITE_URL.rstrip("/") + "/zalo/webhook/")

    def handle(self, *args, port, webhook, **options):
        if not settings.ZALO_SANDBOX:
            raise CommandError("ZALO_SANDBOX is off: the sandbox runs with the dev settings only.")
        sandbox = ZaloSandbox(
            webhook_url=webhook,
            app_id=settings.ZALO_APP_ID,
            oa_secret=settings.ZALO_OA_SECRET_KEY,
            access_token=settings.ZALO_ACCESS_TOKEN,
            port=port,
        ).start()
        self.stdout.write(f"{SANDBOX_LABEL}: {sandbox.url} → {webhook}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            sandbox.stop()
