"""A cache of reads for one run of many similar writes (a bulk action of the worklists), and for
that run only.

A bulk assignment of 50 dossiers asks the same questions 50 times: what the officer may do
for the agency, which specialists it may assign, the chosen specialist's department, the
agency's working calendar, the specialist's notification preferences. Inside ``run_cache()``
the functions that read those through ``run_cached`` ask the database once and reuse the
answer until the block ends; outside it (every ordinary request, task or test) they read
every time, as before. The cache lives in a context variable, so it never outlives the run,
never crosses requests, threads or processes, and nothing is kept in process memory.

What the run caches is read at its start: a membership revoked during the second or so a
bulk run takes is seen by the next request, as it would be had the run been one click
earlier. The per-dossier work is not cached: each dossier is still locked, checked (state,
guard, input) and recorded with its own event by the transition runner.
"""

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_cache: ContextVar[dict | None] = ContextVar("portal_run_cache", default=None)


@contextmanager
def run_cache() -> Iterator[None]:
    """Reads made through ``run_cached`` inside the block are made once each (nested blocks
    share the outer one's cache)."""
    if _cache.get() is not None:
        yield
        return
    token = _cache.set({})
    try:
        yield
    finally:
        _cache.reset(token)


def run_cache_active() -> bool:
    return _cache.get() is not None


def run_cached(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per ``key`` inside a ``run_cache()`` block; every time outside one."""
    cache = _cache.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]
