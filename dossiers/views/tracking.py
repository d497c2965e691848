"""Public tracking pages: ``/track/`` (by code, with an optional PIN; the QR code lands here)
and ``/track/bulk/`` (many codes at once for businesses, with a CSV export).

The PIN is posted, never put in the URL, so it stays out of logs and browser history.
"""

import csv
import io

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from dossiers import selectors, tracking
from dossiers.constants import event_label
from dossiers.core.notes import event_applicant_note
from dossiers.views.common import csv_cell

BULK_UPLOAD_MAX_BYTES = 1024 * 1024


class TrackForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Mã hồ sơ"), max_length=tracking.CODE_MAX_LENGTH)
    pin = forms.CharField(
        label=gettext_lazy("Mã PIN tra cứu (không bắt buộc)"),
        max_length=32,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text=gettext_lazy("In trên giấy xác nhận nộp hồ sơ; nhập để xem cả thông tin người nộp và giấy tờ."),
    )


class BulkTrackForm(forms.Form):
    codes = forms.CharField(
        label=gettext_lazy("Danh sách mã hồ sơ"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("Mỗi dòng một mã, hoặc cách nhau bằng dấu phẩy; tối đa 500 mã."),
    )
    file = forms.FileField(
        label=gettext_lazy("Hoặc tải lên tệp CSV/TXT"),
        required=False,
        help_text=gettext_lazy("Lấy mọi ô có dạng mã hồ sơ trong tệp, ở bất kỳ cột nào."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return ""
        if upload.size > BULK_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("Tệp quá lớn: tối đa 1 MB."))
        raw = upload.read()
        if b"\x00" in raw:
            raise forms.ValidationError(_("Tệp phải là văn bản (CSV hoặc TXT)."))
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("Tệp phải được mã hóa UTF-8.")) from None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        codes = tracking.bulk_codes_parse(data.get("codes") or "", data.get("file") or "")
        if not codes:
            raise forms.ValidationError(_("Vui lòng nhập hoặc tải lên ít nhất một mã hồ sơ."))
        if len(codes) > tracking.BULK_MAX_CODES:
            raise forms.ValidationError(
                _("Mỗi lần tra cứu tối đa %(max)d mã hồ sơ; bạn đã nhập %(count)d mã.")
                % {"max": tracking.BULK_MAX_CODES, "count": len(codes)}
            )
        data["code_list"] = codes
        return data


def _rate_limited(request, template: str, context: dict) -> HttpResponse | None:
    if not tracking.tracking_rate_limited(request):
        return None
    response = render(request, template, {**context, "error": tracking.RATE_LIMIT_MESSAGE}, status=429)
    response["Retry-After"] = str(tracking.tracking_retry_after())
    return response


@require_http_methods(["GET", "POST"])
def track(request):
    """Look a dossier up by code (GET ``?code=``, the QR landing) or by code and PIN (POST)."""
    source = request.POST if request.method == "POST" else request.GET
    form = TrackForm(source if "code" in source else None, initial={"code": request.GET.get("code", "")})
    context = {"form": form}
    if not form.is_bound:
        return render(request, "dossiers/track.html", context)
    if not form.is_valid():
        return render(request, "dossiers/track.html", context, status=400)
    limited = _rate_limited(request, "dossiers/track.html", context)
    if limited:
        return limited
    pin = form.cleaned_data["pin"] if request.method == "POST" else ""
    result = tracking.tracking_lookup(code=form.cleaned_data["code"], pin=pin, user=request.user)
    if result is None:
        return render(request, "dossiers/track.html", {**context, "error": tracking.NOT_FOUND_MESSAGE}, status=404)
    dossier = result.dossier
    context.update(
        result=result,
        dossier=dossier,
        status_label=tracking.status_label(dossier),
        # Only what the applicant is told: an officer's internal note never shows here.
        timeline=[{"event": e, "label": event_label(e), "note": event_applicant_note(e)} for e in result.timeline],
        documents=list(selectors.dossier_documents(dossier=dossier)) if result.personal else [],
        # Asking for the PIN again makes no sense once everything is shown.
        form=form if not result.personal else None,
    )
    return render(request, "dossiers/track.html", context)


def _bulk_csv(rows: list[dict]) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # BOM: Excel then reads the file as UTF-8 and shows the diacritics
    writer = csv.writer(buffer)
    writer.writerow([_("Mã hồ sơ"), _("Thủ tục"), _("Trạng thái"), _("Mã trạng thái"), _("Hạn trả kết quả")])
    for row in rows:
        due = row.get("due_at")
        writer.writerow(
            [
                csv_cell(row["code"]),
                csv_cell(row.get("procedure", "")),
                csv_cell(row["status"]),
                row.get("status_code") or "",
                timezone.localtime(due).strftime("%d/%m/%Y %H:%M") if due else "",
            ]
        )
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="tra-cuu-ho-so-{stamp}.csv"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def track_bulk(request):
    """Many codes at once, for businesses: only their own and their organisations' dossiers show."""
    if request.method == "GET":
        return render(request, "dossiers/track_bulk.html", {"form": BulkTrackForm()})
    form = BulkTrackForm(request.POST, request.FILES)
    context = {"form": form}
    if not form.is_valid():
        return render(request, "dossiers/track_bulk.html", context, status=400)
    limited = _rate_limited(request, "dossiers/track_bulk.html", context)
    if limited:
        return limited
    codes = form.cleaned_data["code_list"]
    rows = tracking.bulk_tracking(user=request.user, codes=codes)
    if request.POST.get("export") == "csv":
        return _bulk_csv(rows)
    context.update(
        rows=rows,
        codes_text="\n".join(codes),
        found_count=sum(1 for r in rows if r["found"]),
    )
    return render(request, "dossiers/track_bulk.html", context)


urlpatterns = [
    path("track/", track, name="track"),
    path("track/bulk/", track_bulk, name="track_bulk"),
]
