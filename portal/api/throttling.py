"""Per-token request rate (settings.API_TOKEN_RATE), counted in the shared cache (Redis).

Only bearer-token requests are counted here: pages and sessions have their own limits
(allauth, tracking). Beyond the rate DRF answers 429 with ``Retry-After``.

A fixed window per token that opens with its first request (`portal.ratelimit.count_hit`:
one Redis round trip, whatever the rate), not DRF's sliding window, which keeps the time of
every request of the window in one cached list and rewrites it on each request.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from portal.models import ApiToken
from portal.ratelimit import count_hit


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_rate(self):
        # Read on each request, not at import, so that a changed setting takes effect.
        return settings.API_TOKEN_RATE

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        key = self.get_cache_key(request, view)
        if key is None or self.num_requests is None:
            return True
        count, self._left, _ = count_hit(key, 1, self.duration)
        return count <= self.num_requests

    def wait(self):
        return self._left
