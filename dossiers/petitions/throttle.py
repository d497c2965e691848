"""The filing limit of petitions, shared by the page and the API: per account when signed in,
per client address otherwise (``PETITION_RATE_LIMIT`` per ``PETITION_RATE_WINDOW`` seconds),
counted in the shared cache so every web process agrees."""

import time

from django.conf import settings
from django.utils.translation import gettext_lazy

from portal.client_address import client_ip
from portal.ratelimit import count_hit

RATE_LIMIT_MESSAGE = gettext_lazy(
    "Bạn đã gửi quá nhiều phản ánh, kiến nghị trong thời gian ngắn. Vui lòng thử lại sau."
)


def petition_rate_limited(request) -> tuple[bool, int]:
    """Count one filing for the caller's address (and account); (over the limit, seconds left)."""
    limit = settings.PETITION_RATE_LIMIT
    window = max(1, settings.PETITION_RATE_WINDOW)
    who = f"u{request.user.pk}" if request.user.is_authenticated else (client_ip(request) or "unknown")
    count, left, _peek = count_hit(f"petition-rate:{who}:{int(time.time() // window)}", 1, window + 5)
    return count > limit, left
