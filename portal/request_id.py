"""A request id (``X-Request-ID``) on every log line of a request and of the tasks it enqueues.

`RequestIdMiddleware` takes the id the trusted proxy sent (nginx's ``$request_id``; only with
a peer in ``TRUSTED_PROXIES``, and only a short token of safe characters) or makes one, keeps it
in a context variable for the request and answers it in ``X-Request-ID``. Celery's
``before_task_publish`` puts it in the message's headers; ``task_prerun`` restores it in the
worker for the task's run, so the task's log lines (and the tasks it enqueues in turn) carry
it. `portal.logging.JsonFormatter` writes it as ``request_id``.
"""

import contextvars
import re
import uuid

from celery import signals as celery_signals
from django.core.signals import request_finished
from django.dispatch import receiver

from portal.client_address import peer_is_trusted_proxy

HEADER = "X-Request-ID"
CELERY_HEADER = "portal_request_id"
_VALID = re.compile(r"^[A-Za-z0-9._\-]{8,128}$")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def request_id_current() -> str | None:
    return _request_id.get()


def request_id_set(value: str | None) -> contextvars.Token:
    return _request_id.set(value)


class RequestIdMiddleware:
    """The request's id: the trusted proxy's ``X-Request-ID`` when valid, else a new one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER, "") if peer_is_trusted_proxy(request) else ""
        value = given if _VALID.match(given) else uuid.uuid4().hex
        request.request_id = value
        # Kept until the response is finished (`request_finished`): Django logs a 4xx/5xx
        # answer after the middleware has returned, and that line carries the id too.
        _request_id.set(value)
        response = self.get_response(request)
        response[HEADER] = value
        return response


@receiver(request_finished)
def _request_done(**_kwargs) -> None:
    _request_id.set(None)


@celery_signals.before_task_publish.connect
def _publish_with_request_id(headers=None, **_kwargs) -> None:
    value = _request_id.get()
    if value and headers is not None and CELERY_HEADER not in headers:
        headers[CELERY_HEADER] = value


@celery_signals.task_prerun.connect
def _run_with_request_id(task=None, **_kwargs) -> None:
    request = getattr(task, "request", None)
    value = getattr(request, CELERY_HEADER, None) or (getattr(request, "headers", None) or {}).get(CELERY_HEADER)
    # In eager mode the task runs inside the request: it keeps the request's id.
    if value or not getattr(request, "is_eager", False):
        _request_id.set(value)


@celery_signals.task_postrun.connect
def _after_run(task=None, **_kwargs) -> None:
    if not getattr(getattr(task, "request", None), "is_eager", False):
        _request_id.set(None)
