"""The filter of every statistics page and of the API: period, agency, procedure, field, grouping.

Bad input never reaches a query: each field explains, in Vietnamese, what is wrong.
"""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers.models import ReportFormat

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
MAX_PERIOD_DAYS = 3 * 366
GROUPS = [
    ("agency", gettext_lazy("Theo cơ quan")),
    ("procedure", gettext_lazy("Theo thủ tục")),
    ("sector", gettext_lazy("Theo lĩnh vực")),
]
_DATE_ERRORS = {"invalid": gettext_lazy("Ngày không hợp lệ; hãy nhập theo dạng ngày/tháng/năm.")}


INDEX_PERIODS = [
    ("month", gettext_lazy("Tháng")),
    ("quarter", gettext_lazy("Quý")),
    ("year", gettext_lazy("Năm")),
]


class StatsFilterForm(forms.Form):
    date_from = forms.DateField(
        label=gettext_lazy("Từ ngày"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=_DATE_ERRORS,
    )
    date_to = forms.DateField(
        label=gettext_lazy("Đến ngày"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=_DATE_ERRORS,
    )
    agency = forms.TypedChoiceField(
        label=gettext_lazy("Cơ quan"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Bạn không được xem thống kê của cơ quan này.")},
    )
    sub = forms.TypedChoiceField(
        label=gettext_lazy("Đơn vị trực thuộc"),
        required=False,
        coerce=lambda v: v == "1",
        empty_value=True,
        choices=[("1", gettext_lazy("Gồm đơn vị trực thuộc")), ("0", gettext_lazy("Chỉ cơ quan này"))],
        error_messages={"invalid_choice": gettext_lazy("Giá trị “đơn vị trực thuộc” phải là 1 hoặc 0.")},
    )
    sector = forms.TypedChoiceField(
        label=gettext_lazy("Lĩnh vực"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Lĩnh vực không tồn tại.")},
    )
    procedure = forms.TypedChoiceField(
        label=gettext_lazy("Thủ tục"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Thủ tục không tồn tại.")},
    )
    index_period = forms.ChoiceField(
        label=gettext_lazy("Kỳ của bộ chỉ số 766"),
        required=False,
        choices=INDEX_PERIODS,
        error_messages={"invalid_choice": gettext_lazy("Kỳ của bộ chỉ số phải là tháng, quý hoặc năm.")},
    )
    group = forms.ChoiceField(
        label=gettext_lazy("Chi tiết"),
        required=False,
        choices=GROUPS,
        error_messages={"invalid_choice": gettext_lazy("Cách chia chi tiết phải là cơ quan, thủ tục hoặc lĩnh vực.")},
    )

    def __init__(self, *args, agencies=(), procedures=(), sectors=(), all_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", all_label or _("Tất cả cơ quan của tôi")), *agencies]
        self.fields["procedure"].choices = [("", _("Tất cả thủ tục")), *procedures]
        self.fields["sector"].choices = [("", _("Tất cả lĩnh vực")), *sectors]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select" if isinstance(field.widget, forms.Select) else "form-control"

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        low = cleaned.get("date_from") or (None if "date_from" in self.errors else today.replace(day=1))
        high = cleaned.get("date_to") or (None if "date_to" in self.errors else today)
        if low and high:
            if low > high:
                self.add_error("date_to", _("Ngày kết thúc phải sau hoặc bằng ngày bắt đầu."))
            elif low > today:
                self.add_error("date_from", _("Kỳ thống kê không thể bắt đầu sau ngày hôm nay."))
            elif (high - low).days > MAX_PERIOD_DAYS:
                self.add_error("date_to", _("Kỳ thống kê dài tối đa 3 năm."))
            elif low < dt.date(2000, 1, 1):
                self.add_error("date_from", _("Kỳ thống kê phải bắt đầu từ năm 2000 trở đi."))
        cleaned["date_from"], cleaned["date_to"] = low, high
        cleaned["group"] = cleaned.get("group") or "agency"
        cleaned["index_period"] = cleaned.get("index_period") or "month"
        return cleaned

    def index_period_key(self) -> str:
        """The index's period (Decision 766 scores a month, a quarter or a year): the one holding
        the report's last day, as `dossiers.stats.index.period_parse` reads it."""
        last = self.cleaned_data["date_to"]
        kind = self.cleaned_data["index_period"]
        if kind == "year":
            return str(last.year)
        if kind == "quarter":
            return f"{last.year}-Q{(last.month - 1) // 3 + 1}"
        return last.strftime("%Y-%m")


class StatsSubscriptionForm(forms.Form):
    """One change on the subscriptions page: subscribe to (or change the format of) an agency's
    monthly report, or unsubscribe. Which agencies are allowed is the service's check."""

    agency = forms.IntegerField(
        min_value=1,
        error_messages={
            "required": gettext_lazy("Hãy chọn cơ quan."),
            "invalid": gettext_lazy("Cơ quan không tồn tại hoặc đã ngừng hoạt động."),
            "min_value": gettext_lazy("Cơ quan không tồn tại hoặc đã ngừng hoạt động."),
        },
    )
    action = forms.ChoiceField(
        choices=[("subscribe", gettext_lazy("Đăng ký")), ("unsubscribe", gettext_lazy("Huỷ đăng ký"))],
        error_messages={
            "required": gettext_lazy("Thao tác không hợp lệ."),
            "invalid_choice": gettext_lazy("Thao tác không hợp lệ."),
        },
    )
    report_format = forms.ChoiceField(
        label=gettext_lazy("Định dạng"),
        required=False,
        choices=ReportFormat.choices,
        error_messages={"invalid_choice": gettext_lazy("Định dạng báo cáo không hợp lệ; chọn XLSX hoặc PDF.")},
    )


def parse_month(value: str) -> dt.date | None:
    """``YYYY-MM`` as the first day of that month; None when malformed, before 2000 or in the future."""
    try:
        parsed = dt.datetime.strptime(value, "%Y-%m").date()  # noqa: DTZ007 - a calendar month, no time
    except ValueError:
        return None
    return parsed if dt.date(2000, 1, 1) <= parsed <= timezone.localdate() else None
