"""Template context of every page: the portal's name, the officer flag, unread notifications,
the replica-lag notice, the upload limit."""

from functools import partial

from django.conf import settings

from portal.db_router import replica_current
from portal.notifications import unread_count
from portal.selectors import user_holds_officer_membership
from portal.upload_policy import human_size


def portal(request) -> dict:
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PORTAL_PROVINCE": settings.PORTAL_PROVINCE,
        # The account's, not the request's: an officer not yet past its second factor still sees
        # the way to its pages, which ask for the code.
        "is_officer": user_holds_officer_membership(getattr(request, "user", None)),
        # A callable: the count is only looked up when a template shows it.
        "unread_notifications": partial(unread_count, user=getattr(request, "user", None)),
        # A page read from a replica that was behind says its figures may be a few seconds old.
        "replica_notice": replica_current().notice,
        # Shown beside every upload form: a larger body is refused before it is read.
        "UPLOAD_BODY_LIMIT": human_size(settings.REQUEST_BODY_MAX_SIZE),
    }
