"""The beat schedule's defaults reach the database (django-celery-beat) without overwriting an
admin's changes. Called when beat starts (`portal.receivers`), by ``seed_demo`` and by
``manage.py sync_beat_schedule``."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry


def sync_beat_schedule() -> list[str]:
    """Create the database entries of ``settings.CELERY_BEAT_SCHEDULE`` that do not exist yet.

    Existing entries (same name) are left as they are: an admin may have changed their
    interval or disabled them. Returns the names created.
    """
    existing = set(PeriodicTask.objects.filter(name__in=settings.CELERY_BEAT_SCHEDULE).values_list("name", flat=True))
    created = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if name in existing:
            continue
        fields = ModelEntry._unpack_fields(**entry)
        try:
            with transaction.atomic():
                PeriodicTask.objects.create(name=name, **fields)
        except IntegrityError:
            continue  # created meanwhile by another process
        created.append(name)
    return created
