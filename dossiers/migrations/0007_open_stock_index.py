"""The covering index of the open dossiers, from which the live current day's stock is counted
(``dossiers.stats.definitions.stock_now``). Built concurrently (non-atomic migration)."""

import importlib

from django.db import migrations, models

AddIndexOnline = importlib.import_module("dossiers.migrations.0006_closed_at").AddIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("dossiers", "0006_closed_at")]

    operations = [
        AddIndexOnline(
            model_name="dossier",
            index=models.Index(
                condition=models.Q(
                    (
                        "state__in",
                        [
                            "received",
                            "processing",
                            "consulting",
                            "pending_approval",
                            "supplement_requested",
                            "payment_requested",
                            "withdrawal_requested",
                        ],
                    )
                ),
                fields=["receiving_agency", "procedure", "channel", "state"],
                include=["received_at", "due_at", "original_due_at", "paused_at"],
                name="dossier_open_stock",
            ),
        ),
    ]
