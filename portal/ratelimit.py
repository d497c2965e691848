"""Counting requests in the shared cache (Redis) in one round trip, for the rate limits.

`count_hit` adds to a counter that expires ``timeout`` seconds after its first hit (a fixed
window that starts with the first request) and can read another key in the same call;
`raw_client` gives the Redis client behind Django's cache for values stored as raw bytes.
On another cache backend (dev without Redis) the same answers come from the cache API in a
few calls.
"""

from django.core.cache import cache

# INCRBY the counter, set its expiry once (NX), and answer its count, its time left and the
# value under the second key (false when none is asked for or there is none).
_COUNT_AND_PEEK = """
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2], 'NX')
local ttl = redis.call('TTL', KEYS[1])
local peeked = false
if KEYS[2] then peeked = redis.call('GET', KEYS[2]) end
return {count, ttl, peeked}
"""

# Per connection pool: one client object and its registered script. Django's cache builds a new
# client (with a copy of every response callback) on each call, a quarter of a millisecond.
_clients: dict[int, tuple] = {}


def _client_and_script():
    backend = getattr(cache, "_cache", None)
    pool_of = getattr(backend, "_get_connection_pool", None)
    if pool_of is None or not hasattr(cache, "make_and_validate_key"):
        return None, None
    pool = pool_of(True)
    entry = _clients.get(id(pool))
    if entry is None or entry[0].connection_pool is not pool:
        client = backend._client(connection_pool=pool)
        entry = _clients[id(pool)] = (client, client.register_script(_COUNT_AND_PEEK))
    return entry


def raw_client(key: str):
    """The Redis client behind Django's cache and the full key for ``key`` (no client on
    another backend)."""
    client, _script = _client_and_script()
    if client is None:
        return None, key
    return client, cache.make_and_validate_key(key)


def count_hit(key: str, cost: int, timeout: int, *, peek: str = "") -> tuple[int, int, bytes | None]:
    """Adds ``cost`` to the counter ``key``; returns (count, seconds left in its window, raw value
    under ``peek`` or None). On Redis: one script call (one round trip)."""
    client, script = _client_and_script()
    if client is not None:
        keys = [cache.make_and_validate_key(key)]
        if peek:
            keys.append(cache.make_and_validate_key(peek))
        count, ttl, peeked = script(keys=keys, args=[cost, timeout], client=client)
        return int(count), max(1, int(ttl)), (peeked or None)
    cache.add(key, 0, timeout=timeout)
    try:
        count = cache.incr(key, cost)
    except ValueError:  # expired between add and incr
        cache.set(key, cost, timeout=timeout)
        count = cost
    return count, timeout, (cache.get(peek) if peek else None)
