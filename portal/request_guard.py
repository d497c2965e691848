"""Input no part of the portal can use, refused at the door for every view at once.

A NUL character (``%00``) cannot be stored in PostgreSQL text (psycopg raises ``DataError``)
and never belongs in a name, a filter or a code: `NulByteGuardMiddleware` answers 400 with a
clear message when a query-string key or value, or a form field (pages; the API's bodies are
checked by its serializers) carries one, and 404 when the path does. Nothing has run yet, so nothing is written.

A form body that cannot be parsed (too many files or fields, too large, broken multipart) is
answered here too, with the reason, instead of reaching the view as an empty form;
`body_error` words the same reasons for the API's parsers.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.http.request import UnreadablePostError
from django.utils.translation import gettext as _

from portal.upload_policy import human_size

API_PREFIX = "/api/"


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())


def data_too_big_message() -> str:
    """Django's ``RequestDataTooBig``: the body's fields (files apart) past DATA_UPLOAD_MAX_MEMORY_SIZE."""
    return _("Phần dữ liệu biểu mẫu (không kể tệp đính kèm) vượt quá giới hạn %(limit)s cho mỗi lần gửi.") % {
        "limit": human_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    }


def body_error(error: Exception) -> tuple[int, str, str]:
    """(status, code, message) for a body Django's parser refused."""
    if isinstance(error, TooManyFilesSent):
        message = _("Quá nhiều tệp trong một lần gửi (tối đa %(n)d tệp); hãy gửi ít tệp hơn mỗi lần.")
        return 400, "too_many_files", message % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FILES}
    if isinstance(error, TooManyFieldsSent):
        message = _("Quá nhiều trường dữ liệu trong một lần gửi (tối đa %(n)d).")
        return 400, "too_many_fields", message % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
    if isinstance(error, RequestDataTooBig):
        return 413, "payload_too_large", data_too_big_message()
    return 400, "parse_error", _("Nội dung gửi lên không đọc được (sai định dạng biểu mẫu).")


def bad_request(request, *, code: str, message: str, status: int = 400):
    """A 4xx in the API's error format under ``/api/``, a plain sentence elsewhere."""
    if request.path.startswith(API_PREFIX):
        body = {"error": {"code": code, "message": message, "fields": {}}, "detail": message}
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class NulByteGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            raise Http404  # no page, no dossier code holds one
        nul = _has_nul(request.GET)
        if not nul and request.method == "POST" and not request.path.startswith(API_PREFIX):
            try:
                nul = _has_nul(request.POST)
            except (MultiPartParserError, SuspiciousOperation, UnreadablePostError) as error:
                status, code, message = body_error(error)
                return bad_request(request, code=code, message=message, status=status)
        if nul:
            return bad_request(
                request,
                code="invalid",
                message=_("Dữ liệu gửi lên chứa ký tự không hợp lệ (ký tự NUL, %00); hãy xoá ký tự đó rồi gửi lại."),
            )
        return self.get_response(request)
