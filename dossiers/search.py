"""Officer search and worklist filters (tìm kiếm hồ sơ): one selector for the pages, the header
search and ``GET /api/v1/officer/dossiers/``.

What an officer types is read as one of three keys: a dossier code (or its beginning), a
number (citizen ID, tax code, phone: exact, after removing spaces, dots and a ``+84``), or an
applicant's name, matched without accents ("nguyen van an" finds "Nguyễn Văn An") through
the generated column ``applicant_name_folded`` (``procedures_unaccent(lower(applicant_name))``,
stored by the database): on PostgreSQL the immutable wrapper of the ``unaccent`` extension,
with a pg_trgm GIN index on the column (dossiers migration 0014); on SQLite (``make run``) the
same name is a Python function registered on each connection (``dossiers.apps``), over a scan.
A common name is read in the list's order from an ordered index (the search: newest first by
primary key) and filtered on the way; a rare one from the trigram index: the planner knows
which from the column's statistics.

The filters (procedure, field, status code, channel, due window, assignee, department,
received-date range), the sort and the page size are validated by ``DossierSearchForm``:
bad input is a Vietnamese message per parameter, never an error of the database. A list is
read a page plus one row at a time (no ``COUNT`` over a million rows): the pages say whether
more follow.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django import forms
from django.core.cache import cache
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dossiers.constants import WORKLIST_FILTER_KEYS, Channel, DossierState, StatusCode
from dossiers.models import Dossier
from dossiers.worklists import DOSSIER_RELATED, DOSSIER_ROW_FIELDS, OfficerScope, worklist_filter
from portal import selectors as portal_selectors
from portal.constants import OfficerPermission
from procedures import selectors as procedure_selectors

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE = 10_000
EXPORT_MAX_ROWS = 5_000
MAX_ID = 2**31 - 1
MAX_WITHIN_DAYS = 60
MIN_NAME_LENGTH = 2
SEARCH_MAX_LENGTH = 100
MINUTES_PER_WORKING_DAY = 8 * 60
_ACTIVE_CODES = (StatusCode.RECEIVED, StatusCode.PROCESSING)

# Dossiers without the date (not yet received, say) come last either way.
SORTS = {
    "due": (F("due_at").asc(nulls_last=True), "id"),
    "-due": (F("due_at").desc(nulls_last=True), "-id"),
    "received": (F("received_at").asc(nulls_last=True), "id"),
    "-received": (F("received_at").desc(nulls_last=True), "-id"),
    # Vietnamese order without the database's collation (C here: "Đ" would follow "Z").
    "applicant": ("applicant_name_folded", "applicant_name", "id"),
}
SORT_CHOICES = [
    ("", _("Mặc định")),
    ("due", _("Hạn trả: sớm trước")),
    ("-due", _("Hạn trả: muộn trước")),
    ("received", _("Ngày tiếp nhận: cũ trước")),
    ("-received", _("Ngày tiếp nhận: mới trước")),
    ("applicant", _("Người nộp (A–Z)")),
]
DUE_CHOICES = [
    ("", _("Mọi thời hạn")),
    ("overdue", _("Quá hạn")),
    ("today", _("Đến hạn hôm nay")),
    ("within", _("Đến hạn trong N ngày làm việc")),
]
FILTER_KEYS = WORKLIST_FILTER_KEYS

_CODE_RE = re.compile(r"^[0-9A-Z.]*[A-Z.][0-9A-Z.]*-[0-9A-Z-]*$|^[0-9]{3}\.[0-9A-Z.]*$")
_NUMBER_RE = re.compile(r"^\+?[0-9][0-9 .-]{5,20}$")


def fold(text: str) -> str:
    """What ``procedures_unaccent(lower(x))`` gives in the database: lower case, without Vietnamese accents."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if unicodedata.category(c) != "Mn").lower()


def _number(text: str) -> str:
    digits = re.sub(r"[ .-]", "", text)
    return "0" + digits[3:] if digits.startswith("+84") else digits


@dataclass(frozen=True)
class SearchKey:
    kind: str  # "code", "number", "name" or "" (nothing typed)
    value: str


def search_key(q: str) -> SearchKey:
    """Which key a typed search is: a code, a number or a name (already validated)."""
    q = " ".join((q or "").split())
    if not q:
        return SearchKey("", "")
    if _NUMBER_RE.match(q) and not any(c.isalpha() for c in q):
        return SearchKey("number", _number(q))
    upper = q.upper()
    if " " not in q and _CODE_RE.match(upper):
        return SearchKey("code", upper)
    return SearchKey("name", fold(q))


def search_filter(key: SearchKey) -> Q:
    if key.kind == "code":
        return Q(code=key.value) | Q(code__startswith=key.value)
    if key.kind == "number":
        # A tax code is kept in the ID number of an organisation's dossier (dossiers.services.filing).
        return Q(applicant_id_number=key.value) | Q(applicant_phone=key.value)
    if key.kind == "name":
        return Q(applicant_name_folded__contains=key.value)
    return Q()


class _Text(forms.CharField):
    def to_python(self, value):
        if isinstance(value, str) and "\x00" in value:
            raise forms.ValidationError(_("Từ khóa chứa ký tự không hợp lệ."), code="null")
        return super().to_python(value)


def _id_field(label, message) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=MAX_ID,
        error_messages={"invalid": message, "min_value": message, "max_value": message},
    )


def _date_field(label) -> forms.DateField:
    message = _("Ngày không hợp lệ, hãy chọn ngày theo lịch (ví dụ 25/11/2026).")
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": message},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class DossierSearchForm(forms.Form):
    """The search, filters, sort and page size of an officer's list, checked against the
    officer's own agencies (a procedure, assignee or department elsewhere is unknown)."""

    q = _Text(
        label=_("Tìm kiếm"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        error_messages={"max_length": _("Từ khóa tìm kiếm dài tối đa %(limit_value)d ký tự.")},
    )
    procedure = _Text(label=_("Thủ tục"), required=False, max_length=32)
    field = _id_field(_("Lĩnh vực"), _("Lĩnh vực không hợp lệ."))
    status = forms.TypedChoiceField(
        label=_("Trạng thái"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Mọi trạng thái")), *StatusCode.choices],
        error_messages={"invalid_choice": _("Mã trạng thái phải là số nguyên từ 1 đến 10.")},
    )
    channel = forms.ChoiceField(
        label=_("Kênh nộp"),
        required=False,
        choices=[("", _("Mọi kênh")), *Channel.choices],
        error_messages={"invalid_choice": _("Kênh nộp không hợp lệ.")},
    )
    due = forms.ChoiceField(
        label=_("Thời hạn"),
        required=False,
        choices=DUE_CHOICES,
        error_messages={"invalid_choice": _("Thời hạn không hợp lệ.")},
    )
    days = forms.IntegerField(
        label=_("Số ngày làm việc"),
        required=False,
        min_value=1,
        max_value=MAX_WITHIN_DAYS,
        error_messages={
            k: _("Số ngày làm việc phải là số nguyên từ 1 đến 60.") for k in ("invalid", "min_value", "max_value")
        },
    )
    assignee = _id_field(_("Người xử lý"), _("Người xử lý không hợp lệ."))
    department = _id_field(_("Phòng xử lý"), _("Phòng xử lý không hợp lệ."))
    received_from = _date_field(_("Tiếp nhận từ ngày"))
    received_to = _date_field(_("Tiếp nhận đến ngày"))
    sort = forms.ChoiceField(
        label=_("Sắp xếp"),
        required=False,
        choices=SORT_CHOICES,
        error_messages={"invalid_choice": _("Cách sắp xếp không hợp lệ.")},
    )
    page_size = forms.TypedChoiceField(
        label=_("Số dòng mỗi trang"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(n, n) for n in PAGE_SIZES],
        error_messages={"invalid_choice": _("Số dòng mỗi trang phải là 25, 50 hoặc 100.")},
    )

    def __init__(self, data=None, *, scope: OfficerScope, **kwargs):
        super().__init__(data, **kwargs)
        self.scope = scope

    @property
    def agency_ids(self) -> list[int]:
        return self.scope.agency_ids(OfficerPermission.VIEW_DOSSIERS)

    def clean_q(self):
        q = " ".join(self.cleaned_data.get("q", "").split())
        key = search_key(q)
        if key.kind == "name" and len(key.value.replace(" ", "")) < MIN_NAME_LENGTH:
            raise forms.ValidationError(_("Nhập ít nhất %(n)d ký tự của tên người nộp.") % {"n": MIN_NAME_LENGTH})
        return q

    def clean_procedure(self):
        code = self.cleaned_data.get("procedure", "").strip()
        if code and not procedure_selectors.procedure_served_exists(code=code, agency_ids=self.agency_ids):
            raise forms.ValidationError(_("Không tìm thấy thủ tục “%(code)s” ở cơ quan của bạn.") % {"code": code})
        return code

    def clean_field(self):
        value = self.cleaned_data.get("field")
        if value is not None and not procedure_selectors.sector_exists(sector_id=value):
            raise forms.ValidationError(_("Không tìm thấy lĩnh vực này."))
        return value

    def clean_assignee(self):
        value = self.cleaned_data.get("assignee")
        if value is not None and not portal_selectors.officer_member_of(user_id=value, agency_ids=self.agency_ids):
            raise forms.ValidationError(_("Người xử lý này không thuộc cơ quan của bạn."))
        return value

    def clean_department(self):
        value = self.cleaned_data.get("department")
        if value is not None and not procedure_selectors.department_in_agencies(
            department_id=value, agency_ids=self.agency_ids
        ):
            raise forms.ValidationError(_("Phòng này không thuộc cơ quan của bạn."))
        return value

    def _clean_year(self, name):
        value = self.cleaned_data.get(name)
        if value is not None and not 2000 <= value.year <= 2100:
            raise forms.ValidationError(_("Ngày phải nằm trong khoảng năm 2000 đến 2100."))
        return value

    def clean_received_from(self):
        return self._clean_year("received_from")

    def clean_received_to(self):
        return self._clean_year("received_to")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("received_from"), cleaned.get("received_to")
        if start and end and end < start:
            self.add_error("received_to", _("Ngày kết thúc phải sau hoặc trùng ngày bắt đầu."))
        if cleaned.get("due") == "within" and not cleaned.get("days"):
            cleaned["days"] = 3
        return cleaned

    def filtering(self) -> bool:
        """Whether anything beyond the default order is asked (the list's fast path otherwise)."""
        data = self.cleaned_data
        return any(data.get(k) not in (None, "") for k in FILTER_KEYS)

    def error_list(self) -> dict[str, list[str]]:
        return {k: [str(m) for m in v] for k, v in self.errors.items()}


CHOICES_CACHE_SECONDS = 120


def filter_choices(*, scope: OfficerScope) -> dict[str, list[dict]]:
    """The filter form's choices for the officer (procedures, fields, officers, departments of
    its agencies), cached a little while per officer: every list page shows them."""
    key = f"worklists:choices:v1:{scope.user.pk}"
    choices = cache.get(key)
    if choices is None:
        agency_ids = scope.agency_ids(OfficerPermission.VIEW_DOSSIERS)
        procedures = procedure_selectors.procedures_served(agency_ids=agency_ids)
        choices = {
            "procedures": [{"code": c, "name": n} for c, n in procedures.values_list("code", "name")],
            "sectors": [{"pk": p, "name": n} for p, n in procedure_selectors.sector_list().values_list("pk", "name")],
            "assignees": [
                {"pk": p, "full_name": f, "email": e}
                for p, f, e in portal_selectors.officers_of(agency_ids=agency_ids).values_list(
                    "pk", "full_name", "email"
                )
            ],
            "departments": [
                {"pk": p, "name": n}
                for p, n in procedure_selectors.departments_of(agency_ids=agency_ids).values_list("pk", "name")
            ],
        }
        cache.set(key, choices, CHOICES_CACHE_SECONDS)
    return choices


def page_number(raw) -> int:
    """A page number from a query parameter: 1 when absent or not a number from 1 to MAX_PAGE."""
    text = raw if isinstance(raw, str) else ""
    return int(text) if text.isdigit() and 1 <= int(text[:6]) <= MAX_PAGE and len(text) <= 6 else 1


def _due_filter(scope: OfficerScope, window: str, days: int | None) -> Q:
    active = Q(status_code__in=_ACTIVE_CODES)
    now = scope.now
    if window == "overdue":
        return active & Q(due_at__lt=now)
    if window == "today":
        today = timezone.localtime(now).date()
        start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
        # Due later today: what is already past is in "overdue".
        return active & Q(due_at__gte=max(now, start), due_at__lt=start + dt.timedelta(days=1))
    if window == "within":
        per_agency = Q(pk__in=[])
        for agency_id in scope.agency_ids(OfficerPermission.VIEW_DOSSIERS):
            agency = scope.agencies[agency_id]
            start = procedure_selectors.next_working_moment(agency=agency, moment=now)
            horizon = procedure_selectors.add_working_minutes(
                agency=agency, moment=start, minutes=MINUTES_PER_WORKING_DAY * (days or 1)
            )
            per_agency |= Q(receiving_agency_id=agency_id, due_at__lte=horizon)
        return active & Q(due_at__gte=now) & per_agency
    return Q()


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filters_q(scope: OfficerScope, data: dict) -> Q:
    """The filters of a validated form as one condition (the search key is ``search_filter``)."""
    q = Q()
    if data.get("procedure"):
        q &= Q(procedure__code=data["procedure"])
    if data.get("field"):
        q &= Q(procedure__sector_id=data["field"])
    if data.get("status"):
        q &= Q(status_code=data["status"])
    if data.get("channel"):
        q &= Q(channel=data["channel"])
    if data.get("due"):
        q &= _due_filter(scope, data["due"], data.get("days"))
    if data.get("assignee"):
        q &= Q(assigned_to_id=data["assignee"])
    if data.get("department"):
        q &= Q(department_id=data["department"])
    if data.get("received_from"):
        q &= Q(received_at__gte=_day_start(data["received_from"]))
    if data.get("received_to"):
        q &= Q(received_at__lt=_day_start(data["received_to"] + dt.timedelta(days=1)))
    return q


def search_scope_filter(scope: OfficerScope) -> Q:
    """Every dossier of the agencies the officer serves (drafts are nobody's yet)."""
    return Q(receiving_agency_id__in=scope.agency_ids(OfficerPermission.VIEW_DOSSIERS)) & ~Q(state=DossierState.DRAFT)


def dossier_search_queryset(*, scope: OfficerScope, data: dict, worklist: str | None = None) -> QuerySet[Dossier]:
    """The dossiers a validated search asks for, in its order: within worklist ``worklist``
    when given (the list's own condition), else within every agency the officer serves."""
    base = worklist_filter(scope=scope, name=worklist) if worklist else search_scope_filter(scope)
    key = search_key(data.get("q") or "")
    queryset = Dossier.objects.all()
    sort = data.get("sort") or ("received" if worklist == "reception" else "due")
    if worklist == "reception" and not data.get("sort"):
        ordering = ("submitted_at", "id")
    elif worklist is None and not data.get("sort"):
        # Newest first by key (the order dossiers were created in): the primary key read backwards
        # finds a page of a common name after a few hundred rows, where a sort would take them all.
        ordering = ("-id",)
    else:
        ordering = SORTS[sort]
    return queryset.filter(base & search_filter(key) & filters_q(scope, data)).order_by(*ordering)


@dataclass
class SearchPage:
    rows: list
    number: int
    page_size: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.page_size


def dossier_search_page(
    *, scope: OfficerScope, data: dict, worklist: str | None = None, number: int = 1, page_size: int = 50
) -> SearchPage:
    """One page of a search: ``page_size`` rows plus one read, to know whether more follow."""
    offset = (number - 1) * page_size
    queryset = dossier_search_queryset(scope=scope, data=data, worklist=worklist)
    keys = list(queryset.values_list("id", flat=True)[offset : offset + page_size + 1])
    has_next = len(keys) > page_size
    keys = keys[:page_size]
    by_pk = Dossier.objects.select_related(*DOSSIER_RELATED).only(*DOSSIER_ROW_FIELDS).in_bulk(keys)
    return SearchPage([by_pk[k] for k in keys if k in by_pk], number, page_size, has_next)


def dossier_search_export(*, scope: OfficerScope, data: dict, worklist: str | None = None) -> list[Dossier]:
    """The rows of an export: the filtered list in its order, at most ``EXPORT_MAX_ROWS``."""
    queryset = dossier_search_queryset(scope=scope, data=data, worklist=worklist)
    return list(
        queryset.select_related(*DOSSIER_RELATED, "department").only(
            *DOSSIER_ROW_FIELDS, "channel", "applicant_id_number", "applicant_phone", "department__name"
        )[:EXPORT_MAX_ROWS]
    )


def dossier_next_in_list(
    *, scope: OfficerScope, data: dict, worklist: str | None, position: int, current: str
) -> str | None:
    """The code of the dossier after position ``position`` of the list (the current one may
    have left it since it was opened: the first row at that position or after that is not it)."""
    queryset = dossier_search_queryset(scope=scope, data=data, worklist=worklist)
    codes = list(queryset.values_list("code", flat=True)[position : position + 2])
    return next((c for c in codes if c != current), None)
