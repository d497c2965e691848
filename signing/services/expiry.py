"""Warning an agency's administrators, once per certificate, before a signing certificate expires."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

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
            subject = _("Chứng thư ký số sắp hết hạn: %(name)s") % {"name": identity.display_name}
            body = _(
                "Chứng thư ký số “%(name)s” của %(agency)s (số hiệu %(serial)s) hết hạn lúc %(date)s. "
                "Vui lòng gia hạn và nhập chứng thư mới trước ngày này để kết quả tiếp tục được ký số."
            ) % {
                "name": identity.display_name,
                "agency": identity.agency.name,
                "serial": identity.serial,
                "date": date_format(timezone.localtime(identity.not_after), "d/m/Y H:i"),
            }
            for user in users_with_permission(agency_id=identity.agency_id, permission="manage_agency"):
                notify(user=user, subject=subject, body=body, url=url)
            identity.expiry_warned_at = now
            identity.save(update_fields=["expiry_warned_at"])
            warned += 1
    return warned
