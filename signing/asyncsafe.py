"""Run pyHanko's synchronous helpers from any thread.

pyHanko's sync entry points call ``asyncio.run``, which refuses to start inside a thread whose
event loop is already running (an async caller, or a test process driving a browser with
Playwright's sync API). There the call moves to a short-lived thread of its own; everywhere
else (the Celery worker, plain views) it runs in place.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor


def call_sync(fn, /, *args, **kwargs):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyhanko") as pool:
        return pool.submit(fn, *args, **kwargs).result()
