"""The dossier register page (sổ theo dõi hồ sơ: form 07 of Circular 03/2025/TT-VPCP, 06 of Circular 01/2018) with its CSV and XLSX exports.

Officers who see an agency's dossiers read its register, filtered by agency, register date,
procedure, national status code and channel. The exports hold the whole filtered set (up to
``EXPORT_MAX_ROWS``), streamed (CSV) or written row by row (XLSX), never loaded at once.
An invalid filter is explained on the page (status 400) and nothing is listed or exported.
The page and its exports also answer an API client's bearer token with the scopes
``dossiers:read`` and ``officer`` (``session_or_bearer``): the same agencies as the session,
its refusals in JSON (``detail``, and ``errors`` per filter).
"""

import csv
import datetime as dt
import tempfile

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.validators import RegexValidator
from django.http import FileResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from dossiers import register
from dossiers.constants import Channel, StatusCode
from dossiers.views.common import csv_cell
from portal.api.authentication import session_or_bearer
from procedures import selectors as procedure_selectors

PAGE_SIZE = 50
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RegisterFilterForm(forms.Form):
    agency = forms.TypedChoiceField(
        label=gettext_lazy("Cơ quan"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Bạn không được xem sổ theo dõi của cơ quan này.")},
    )
    received_from = forms.DateField(
        label=gettext_lazy("Nhận từ ngày"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Ngày không hợp lệ; hãy nhập theo dạng ngày/tháng/năm.")},
    )
    received_to = forms.DateField(
        label=gettext_lazy("Đến ngày"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Ngày không hợp lệ; hãy nhập theo dạng ngày/tháng/năm.")},
    )
    procedure = forms.CharField(
        label=gettext_lazy("Mã thủ tục"),
        required=False,
        max_length=32,
        validators=[RegexValidator(r"^[0-9A-Za-z.\-_]+$", gettext_lazy("Mã thủ tục chỉ gồm chữ, số và dấu chấm."))],
        error_messages={"max_length": gettext_lazy("Mã thủ tục tối đa %(limit_value)d ký tự.")},
    )
    status = forms.TypedChoiceField(
        label=gettext_lazy("Trạng thái"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", gettext_lazy("Tất cả trạng thái")),
            *[(str(v), f"{v}. {label}") for v, label in StatusCode.choices],
        ],
        error_messages={"invalid_choice": gettext_lazy("Mã trạng thái phải từ 1 đến 10.")},
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Kênh nộp"),
        required=False,
        choices=[("", gettext_lazy("Tất cả kênh")), *Channel.choices],
        error_messages={"invalid_choice": gettext_lazy("Kênh nộp không hợp lệ.")},
    )

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", _("Tất cả cơ quan của tôi")), *[(str(a.pk), a.name) for a in agencies]]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select" if isinstance(field.widget, forms.Select) else "form-control"

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("received_from"), cleaned.get("received_to")
        if low and high and low > high:
            self.add_error("received_to", _("Ngày kết thúc phải sau hoặc bằng ngày bắt đầu."))
        return cleaned


def _filtered(request, form: RegisterFilterForm):
    data = form.cleaned_data
    return register.register_dossiers(
        user=request.user,
        agency_id=data.get("agency"),
        received_from=data.get("received_from"),
        received_to=data.get("received_to"),
        procedure_code=data.get("procedure") or "",
        status_code=data.get("status"),
        channel=data.get("channel") or "",
    )


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


def _cells(row: register.RegisterRow) -> list:
    return [
        row.number,
        row.code,
        row.procedure_name,
        row.applicant_name,
        row.address_phone,
        row.agency_name,
        _local(row.received_at),
        _local(row.due_at),
        _local(row.returned_at),
        row.status_note,
    ]


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _csv_response(rows) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        # BOM: Excel then reads the file as UTF-8 and shows the diacritics.
        yield "\ufeff" + writer.writerow([str(c) for c in register.COLUMNS])
        for row in rows:
            yield writer.writerow(
                [
                    value.strftime("%d/%m/%Y %H:%M")
                    if isinstance(value, dt.datetime)
                    else value
                    if isinstance(value, int)
                    else csv_cell(value)
                    for value in _cells(row)
                ]
            )

    response = StreamingHttpResponse((line.encode("utf-8") for line in lines()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="so-theo-doi-ho-so-{_stamp()}.csv"'
    return response


def _xlsx_response(rows) -> FileResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Sổ theo dõi hồ sơ")[:31])
    bold = Font(bold=True)
    header = []
    for title in register.COLUMNS:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in _cells(row):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, dt.datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif isinstance(value, str):
                # openpyxl turns a text starting with "=" into a formula: keep it plain text.
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    # A spooled file: small registers stay in memory, a large one goes to disk, not to RAM.
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - closed by FileResponse
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=f"so-theo-doi-ho-so-{_stamp()}.xlsx", content_type=XLSX_CONTENT_TYPE
    )


def _by_token(request) -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


# The page and its exports open to the session as before, and to an API client's bearer token
# with the scopes dossiers:read and officer (the same agencies, whichever door).
@session_or_bearer(officer=True)
@require_GET
def register_page(request):
    agency_ids = register.register_agency_ids(user=request.user)
    if not agency_ids:
        refusal = _("Trang này chỉ dành cho cán bộ được xem hồ sơ của cơ quan.")
        if _by_token(request):
            return JsonResponse({"detail": refusal}, status=403)
        raise PermissionDenied(refusal)
    agencies = procedure_selectors.agency_list(active_only=False).filter(pk__in=agency_ids)
    params = request.GET.copy()
    export = params.pop("export", [""])[-1]
    params.pop("page", None)
    form = RegisterFilterForm(params, agencies=agencies)
    context = {"form": form, "querystring": params.urlencode(), "columns": register.COLUMNS}
    if not form.is_valid():
        if _by_token(request):
            errors = {field: [str(m) for m in messages_] for field, messages_ in form.errors.items()}
            return JsonResponse({"detail": _("Bộ lọc không hợp lệ."), "errors": errors}, status=400)
        return render(request, "dossiers/officer/register.html", context, status=400)
    qs = _filtered(request, form)
    if export in ("csv", "xlsx"):
        total = qs.count()
        if total > register.EXPORT_MAX_ROWS:
            refusal = _(
                "Có %(count)s hồ sơ khớp bộ lọc, vượt quá giới hạn xuất %(max)s dòng; "
                "vui lòng thu hẹp khoảng ngày hoặc thêm điều kiện lọc."
            ) % {"count": f"{total:,}".replace(",", "."), "max": f"{register.EXPORT_MAX_ROWS:,}".replace(",", ".")}
            if _by_token(request):
                return JsonResponse({"detail": refusal}, status=400)
            messages.error(request, refusal)
            return redirect(f"{reverse('dossiers:register')}?{params.urlencode()}")
        rows = register.register_export_rows(qs)
        return _csv_response(rows) if export == "csv" else _xlsx_response(rows)
    page = Paginator(register.register_values(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(
        page_obj=page,
        rows=list(register.register_rows(page.object_list, start=page.start_index())),
    )
    return render(request, "dossiers/officer/register.html", context)


urlpatterns = [
    path("officer/register/", register_page, name="register"),
]
