"""Warning an agency's administrators, once per certificate, before a signing certificate expires
(the notification event ``certificate.expiring``)."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from portal.notifications import notify
from portal.selectors import users_with_permission
from signing.constants import EXPIRY_WARNING_DAYS
from signing.models import SigningIdentity


def identities_warn_expiring(*, now: dt.datetime | None = None) -> int:
    """Notify the agency administrators of each identity expiring within 30 days; returns the count."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    warned = 0
    pks = SigningIdentity.objects.filter(
        is_active=True, expiry_warned_at__isnull=True, not_after__lte=horizon, not_after__gt=now
    ).values_list("pk", flat=True)
    for pk in pks:
        with transaction.atomic():
            identity = (
                SigningIdentity.objects.select_for_update()
                .select_related("agency")
                .filter(pk=pk, expiry_warned_at__isnull=True)
                .first()
            )
            if identity is None:
                continue
            url = settings.SITE_URL.rstrip("/") + reverse("admin:signing_signingidentity_change", args=[identity.pk])
            context = {
                # The name, the agency and the serial, as the warning always said: which
                # certificate to renew (language-neutral, so any recipient's template reads it).
                "certificate": f"“{identity.display_name}” ({identity.agency.name}, {identity.serial})",
                "expires": date_format(timezone.localtime(identity.not_after), "d/m/Y H:i"),
                "days_left": max(0, (identity.not_after - now).days),
                "url": url,
            }
            for user in users_with_permission(agency_id=identity.agency_id, permission="manage_agency"):
                notify(user, "certificate.expiring", context)
            identity.expiry_warned_at = now
            identity.save(update_fields=["expiry_warned_at"])
            warned += 1
    return warned
