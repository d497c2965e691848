from django.conf import settings

from portal.selectors import user_is_officer


def portal(request) -> dict:
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PORTAL_PROVINCE": settings.PORTAL_PROVINCE,
        "is_officer": user_is_officer(getattr(request, "user", None)),
    }
