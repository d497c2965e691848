"""`manage.py sync_beat_schedule`: add the default periodic tasks missing from the database
schedule (entries an admin changed are left alone). Beat runs the same at start-up."""

from django.core.management.base import BaseCommand

from portal.beat import sync_beat_schedule


class Command(BaseCommand):
    help = "Add the missing default periodic tasks to the database beat schedule."

    def handle(self, *args, **options):
        created = sync_beat_schedule()
        self.stdout.write(
            f"beat schedule: {len(created)} entries added" + (f" ({', '.join(created)})" if created else "")
        )
