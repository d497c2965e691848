"""The answer when the database has gone away (a restart, a failover, a dropped connection):
503 with ``Retry-After``, in the API's error format under /api/, else a plain page; never a
500 with a traceback (issue 23). Used by the 500 handler (`portal.views.error_500`) and by the
API middleware's exception hook. It touches neither the database nor the session (either may
be what failed): no context processors, no user."""

from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from portal.api.exceptions import error_json_response

DATABASE_ERRORS = (OperationalError, InterfaceError)
# Seconds a client is asked to wait before trying again.
RETRY_AFTER_SECONDS = 15


def database_unavailable(request) -> HttpResponse:
    message = _("Hệ thống đang tạm thời gián đoạn kết nối cơ sở dữ liệu. Vui lòng thử lại sau ít giây.")
    if request.path.startswith("/api/"):
        response = error_json_response(status_code=503, code="service_unavailable", message=message)
    else:
        body = render_to_string("503.html", {"message": message, "retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
