"""Counting requests in the shared cache (Redis) in one round trip, for the rate limits.

`count_hit` adds to a counter that expires ``timeout`` seconds after its first hit (a fixed
window that starts with the first request) and can read another key in the same pipeline;
`raw_client` gives the Redis client behind Django's cache for values stored as raw bytes.
On another cache backend (tests of other set-ups, dev without Redis) the same answers come
from the cache API in a few calls.
"""

from django.core.cache import cache


def raw_client(key: str):
    """Django's Redis cache client and the full key for ``key`` (no client on another backend)."""
    client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_of is None or not hasattr(cache, "make_and_validate_key"):
        return None, key
    full_key = cache.make_and_validate_key(key)
    return client_of(full_key, write=True), full_key


def count_hit(key: str, cost: int, timeout: int, *, peek: str = "") -> tuple[int, int, bytes | None]:
    """Adds ``cost`` to the counter ``key``; returns (count, seconds left in its window, raw value
    under ``peek`` or None).

    On Redis: ``INCRBY``, ``EXPIRE … NX``, ``TTL`` (and ``GET``) in one pipeline — the counter is
    created by the increment and its expiry set once, by the first hit.
    """
    client, full_key = raw_client(key)
    if client is not None:
        pipe = client.pipeline(transaction=False)
        pipe.incrby(full_key, cost)
        pipe.expire(full_key, timeout, nx=True)
        pipe.ttl(full_key)
        if peek:
            pipe.get(cache.make_and_validate_key(peek))
        answers = pipe.execute()
        return int(answers[0]), max(1, int(answers[2])), (answers[3] if peek else None)
    cache.add(key, 0, timeout=timeout)
    try:
        count = cache.incr(key, cost)
    except ValueError:  # expired between add and incr
        cache.set(key, cost, timeout=timeout)
        count = cost
    return count, timeout, (cache.get(peek) if peek else None)
