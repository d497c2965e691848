"""Template context of every page: the portal's name, the officer flag, unread notifications,
the replica-lag notice, the upload limit."""

from functools import partial

from django.conf import settings
from django.utils.crypto import salted_hmac

from portal.db_router import replica_current
from portal.notifications import unread_count
from portal.selectors import user_holds_officer_membership
from portal.upload_policy import human_size


def offline_draft_key(user) -> str:
    """Whose answers a phone keeps offline (static/js/offline-drafts.js): not the account's id,
    a key only the server can make from it; empty when nobody is signed in."""
    if user is None or not user.is_authenticated:
        return ""
    return salted_hmac("portal.offline-drafts", str(user.pk)).hexdigest()[:20]


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
        "offline_draft_key": partial(offline_draft_key, getattr(request, "user", None)),
    }
