"""Officer worklists (danh sách công việc): what is waiting for one officer, and the counts.

Each worklist is a read over the dossiers (or the consultations, lấy ý kiến liên thông) of
the agencies where the officer holds the permission the list is about: assigned to me,
waiting for reception, waiting for assignment, due within one working day, overdue,
waiting for the applicant (status codes 5 and 6), consultations sent to my agency, waiting
for my approval, my department's open dossiers (department heads), and the resolved dossiers
waiting to be returned (status code 9, chờ trả kết quả). A list is ordered by
due date (reception: by submission) then primary key, and a page costs a fixed number of
queries whatever its size; the filters follow the dossier indexes
(``receiving_agency, status_code, due_at``; ``assigned_to, state``; ``department,
status_code, due_at``; the open consultations' ``agency, due_at``).

``worklist_counts`` answers every count of one officer in two SQL queries (conditional
aggregation over the dossiers, one count of the consultations), cached briefly in Redis:
the navigation shows them on every officer page.

``worklist_rows`` is what the page and the API paginate (at a million dossiers a plain
``ORDER BY due_at LIMIT 50`` over several agencies sorts every matching row, and the
paginator's ``COUNT(*)`` reads them all again): a page's keys are read as one ``UNION ALL``
of one branch per agency (or department, or step role), each an ordered, limited scan of a
partial index, then the page's 50 rows by primary key; the total is the cached count of the
navigation, corrected by what the page itself read (exact on the last page).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from dossiers.constants import DossierState, StatusCode
from dossiers.core.steps import ROLE_HEAD
from dossiers.models import Consultation, Dossier
from portal import selectors as portal_selectors
from portal.constants import ROLE_PERMISSIONS, OfficerPermission, OfficerRole
from procedures import selectors as procedure_selectors

# Step roles a dossier waiting for approval can be at (validated by the workflow template);
# "" for a dossier without steps.
_STEP_ROLES = ("", *OfficerRole.values)

PAGE_SIZE = 50
MAX_OFFSET = 10_000_000  # a page number beyond any list is not read
COUNTS_CACHE_SECONDS = 30
MINUTES_PER_WORKING_DAY = 8 * 60

_S = DossierState
_P = OfficerPermission
# The clock runs in these states (codes 2 and 4); while the applicant is asked (5, 6) it is
# paused and the due date moves on when it restarts, so they are neither due soon nor late.
_ACTIVE_CODES = (StatusCode.RECEIVED, StatusCode.PROCESSING)
_OPEN_CODES = (StatusCode.RECEIVED, StatusCode.PROCESSING, StatusCode.SUPPLEMENT, StatusCode.PAYMENT)
_WAITING_CODES = (StatusCode.SUPPLEMENT, StatusCode.PAYMENT)
# Who may answer a consultation: the permissions of the ``consult_reply`` transition.
_CONSULT_PERMISSIONS = (_P.PROCESS, _P.ASSIGN, _P.APPROVE)

DOSSIER_RELATED = ("procedure", "procedure_version", "receiving_agency", "assigned_to")
# The columns a row of the page or of the API shows (the page's rows are read by key).
_PEOPLE = ("full_name", "email")
_AGENCY = ("code", "name", "short_name")
DOSSIER_ROW_FIELDS = (
    "code",
    "state",
    "status_code",
    "applicant_name",
    "submitted_at",
    "received_at",
    "due_at",
    "reception_due_at",
    "procedure__code",
    "procedure_version__name",
    *(f"receiving_agency__{f}" for f in _AGENCY),
    *(f"assigned_to__{f}" for f in _PEOPLE),
)
CONSULTATION_ROW_FIELDS = (
    "question",
    "requested_at",
    "due_at",
    "answered_at",
    *(f"agency__{f}" for f in _AGENCY),
    *(f"requested_by__{f}" for f in _PEOPLE),
)


@dataclass(frozen=True)
class Worklist:
    name: str  # the slug in URLs
    label: str
    description: str
    kind: str = "dossier"  # or "consultation"


WORKLISTS: dict[str, Worklist] = {
    w.name: w
    for w in (
        Worklist(
            "assigned",
            _("Hồ sơ được giao cho tôi"),
            _("Hồ sơ bạn được phân công thẩm định, đang xử lý hoặc đang lấy ý kiến."),
        ),
        Worklist("reception", _("Hồ sơ chờ tiếp nhận"), _("Hồ sơ nộp trực tuyến chờ cơ quan kiểm tra, tiếp nhận.")),
        Worklist("to-assign", _("Hồ sơ chờ phân công"), _("Hồ sơ đã tiếp nhận, chờ phân công chuyên viên xử lý.")),
        Worklist(
            "due-soon",
            _("Hồ sơ sắp đến hạn"),
            _("Hồ sơ đang xử lý còn không quá một ngày làm việc đến hạn trả kết quả."),
        ),
        Worklist("overdue", _("Hồ sơ quá hạn"), _("Hồ sơ đang xử lý đã quá hạn trả kết quả.")),
        Worklist(
            "waiting-applicant",
            _("Hồ sơ chờ người nộp"),
            _("Hồ sơ chờ người nộp bổ sung, hoàn thiện hoặc thực hiện nghĩa vụ tài chính."),
        ),
        Worklist(
            "consultations",
            _("Xin ý kiến gửi cơ quan tôi"),
            _("Yêu cầu xin ý kiến (liên thông) gửi cơ quan của bạn, chưa được trả lời."),
            kind="consultation",
        ),
        Worklist("to-approve", _("Hồ sơ chờ tôi phê duyệt"), _("Hồ sơ đã trình, chờ bạn xem xét hoặc phê duyệt.")),
        Worklist("department", _("Hồ sơ của phòng"), _("Hồ sơ đang giải quyết của phòng bạn phụ trách.")),
        Worklist(
            "to-hand-over",
            _("Hồ sơ chờ chuyển cơ quan giải quyết"),
            _(
                "Hồ sơ Trung tâm Phục vụ hành chính công đã tiếp nhận thay cơ quan khác trong tỉnh, chờ chuyển đến"
                " cơ quan có thẩm quyền giải quyết."
            ),
        ),
        Worklist(
            "to-return",
            _("Hồ sơ chờ trả kết quả"),
            _("Hồ sơ đã xử lý xong (đã phê duyệt), chờ trả kết quả cho người nộp."),
        ),
    )
}


@dataclass
class OfficerScope:
    """What one officer acts for, read in one query: permissions per agency, departments headed."""

    user: object
    now: dt.datetime
    permissions: dict[int, frozenset[str]] = field(default_factory=dict)
    agencies: dict[int, object] = field(default_factory=dict)
    head_departments: frozenset[int] = frozenset()

    def agency_ids(self, *permissions: str) -> list[int]:
        return sorted(a for a, held in self.permissions.items() if held.intersection(permissions))

    @property
    def is_officer(self) -> bool:
        return bool(self.permissions)

    @cached_property
    def due_horizons(self) -> dict[int, dt.datetime]:
        """Per agency: one working day from now on its own calendar (cf. dossier_due_soon_or_late)."""
        horizons = {}
        for agency_id in self.agency_ids(_P.VIEW_DOSSIERS):
            agency = self.agencies[agency_id]
            start = procedure_selectors.next_working_moment(agency=agency, moment=self.now)
            horizons[agency_id] = procedure_selectors.add_working_minutes(
                agency=agency, moment=start, minutes=MINUTES_PER_WORKING_DAY
            )
        return horizons

    def applies(self, name: str) -> bool:
        """Whether the worklist concerns this officer at all (else its page answers 403)."""
        if name == "assigned":
            return bool(self.agency_ids(_P.PROCESS))
        if name == "reception":
            return bool(self.agency_ids(_P.RECEIVE))
        if name == "to-assign":
            return bool(self.agency_ids(_P.ASSIGN))
        if name in ("due-soon", "overdue", "waiting-applicant"):
            return bool(self.agency_ids(_P.VIEW_DOSSIERS))
        if name == "consultations":
            return bool(self.agency_ids(*_CONSULT_PERMISSIONS))
        if name == "to-approve":
            return bool(self.agency_ids(_P.APPROVE, _P.REVIEW))
        if name == "department":
            return bool(self.head_departments)
        if name == "to-return":
            return bool(self.agency_ids(_P.RETURN_RESULT))
        if name == "to-hand-over":
            return bool(self.centre_ids)
        return False

    @property
    def centre_ids(self) -> list[int]:
        """The Public Administration Service Centres where the officer receives dossiers."""
        return [a for a in self.agency_ids(_P.RECEIVE) if getattr(self.agencies[a], "is_service_centre", False)]

    @property
    def names(self) -> list[str]:
        return [name for name in WORKLISTS if self.applies(name)]


def officer_scope(*, user, now: dt.datetime | None = None) -> OfficerScope:
    now = now or timezone.now()
    scope = OfficerScope(user=user, now=now)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return scope
    permissions: dict[int, set[str]] = {}
    departments = set()
    for membership in portal_selectors.officer_memberships(user=user):
        permissions.setdefault(membership.agency_id, set()).update(ROLE_PERMISSIONS.get(membership.role, ()))
        scope.agencies[membership.agency_id] = membership.agency
        if membership.role == OfficerRole.DEPARTMENT_HEAD and membership.department_id:
            departments.add(membership.department_id)
    scope.permissions = {a: frozenset(p) for a, p in permissions.items()}
    scope.head_departments = frozenset(departments)
    return scope


def _none() -> Q:
    return Q(pk__in=[])


def _dossier_filter(scope: OfficerScope, name: str) -> Q:
    """The worklist ``name`` as a filter on dossiers (not for the consultations list)."""
    if not scope.applies(name):
        return _none()
    if name == "assigned":
        return Q(
            assigned_to=scope.user,
            state__in=[_S.PROCESSING, _S.CONSULTING],
            receiving_agency_id__in=scope.agency_ids(_P.PROCESS),
        )
    if name == "reception":
        return Q(receiving_agency_id__in=scope.agency_ids(_P.RECEIVE), status_code=StatusCode.SUBMITTED)
    if name == "to-assign":
        return Q(receiving_agency_id__in=scope.agency_ids(_P.ASSIGN), status_code=StatusCode.RECEIVED)
    if name == "due-soon":
        per_agency = _none()
        for agency_id, horizon in scope.due_horizons.items():
            per_agency |= Q(receiving_agency_id=agency_id, due_at__lte=horizon)
        return Q(status_code__in=_ACTIVE_CODES, due_at__gte=scope.now) & per_agency
    if name == "overdue":
        return Q(
            receiving_agency_id__in=scope.agency_ids(_P.VIEW_DOSSIERS),
            status_code__in=_ACTIVE_CODES,
            due_at__lt=scope.now,
        )
    if name == "waiting-applicant":
        return Q(receiving_agency_id__in=scope.agency_ids(_P.VIEW_DOSSIERS), status_code__in=_WAITING_CODES)
    if name == "to-approve":
        # The leader approves unless the dossier waits at the department head's review
        # (the ``approve`` guard); the department head reviews at its own step.
        pending = Q(status_code=StatusCode.PROCESSING, state=_S.PENDING_APPROVAL)
        at_head = Q(step_role=ROLE_HEAD)
        return pending & (
            (Q(receiving_agency_id__in=scope.agency_ids(_P.APPROVE)) & ~at_head)
            | (Q(receiving_agency_id__in=scope.agency_ids(_P.REVIEW)) & at_head)
        )
    if name == "department":
        return Q(department_id__in=sorted(scope.head_departments), status_code__in=_OPEN_CODES)
    if name == "to-return":
        # A centre returns the results of the dossiers it received and handed over.
        desks = scope.agency_ids(_P.RETURN_RESULT)
        return Q(status_code=StatusCode.RESOLVED) & (
            Q(receiving_agency_id__in=desks) | Q(reception_centre_id__in=desks)
        )
    if name == "to-hand-over":
        # Received by the centre, whose reception step stays open until the hand-over.
        return Q(
            receiving_agency_id__in=scope.centre_ids,
            status_code=StatusCode.RECEIVED,
            reception_centre__isnull=True,
            step_role=OfficerRole.RECEPTION,
        )
    raise KeyError(name)


def worklist_filter(*, scope: OfficerScope, name: str) -> Q:
    """The dossier worklist ``name`` as one condition (the officer search filters within it)."""
    return _dossier_filter(scope, name)


def _consultation_filter(scope: OfficerScope) -> Q:
    if not scope.applies("consultations"):
        return _none()
    return Q(
        answered_at__isnull=True,
        agency_id__in=scope.agency_ids(*_CONSULT_PERMISSIONS),
        dossier__state=_S.CONSULTING,
    )


def _ordering(name: str) -> tuple[str, str]:
    return ("submitted_at", "pk") if name == "reception" else ("due_at", "pk")


def _parts(scope: OfficerScope, name: str) -> list[Q]:
    """The list as a union of filters, each of which one partial index reads in list order.

    An ``IN`` over several agencies, or over several step roles, cannot be read in due order
    from a ``(agency, due_at)`` index, so the database would sort every matching row; one
    branch per agency (per department, per step role) can stop after a page.
    """
    if not scope.applies(name):
        return [_none()]
    if name == "consultations":
        base = _consultation_filter(scope)
        return [base & Q(agency_id=a) for a in scope.agency_ids(*_CONSULT_PERMISSIONS)]
    base = _dossier_filter(scope, name)
    if name in ("to-assign", "overdue", "waiting-applicant", "reception", "to-hand-over"):
        return [base & Q(receiving_agency_id=a) for a in sorted(scope.agencies)]
    if name == "to-return":
        desks = scope.agency_ids(_P.RETURN_RESULT)
        resolved = Q(status_code=StatusCode.RESOLVED)
        # A dossier of one of the officer's agencies is read once, by its deciding agency's branch.
        return [resolved & Q(receiving_agency_id=a) for a in desks] + [
            resolved & Q(reception_centre_id=a) & ~Q(receiving_agency_id__in=desks) for a in desks
        ]
    if name == "due-soon":
        return [
            Q(status_code__in=_ACTIVE_CODES, receiving_agency_id=a, due_at__gte=scope.now, due_at__lte=horizon)
            for a, horizon in sorted(scope.due_horizons.items())
        ]
    if name == "department":
        return [base & Q(department_id=d) for d in sorted(scope.head_departments)]
    if name == "to-approve":
        pending = Q(status_code=StatusCode.PROCESSING, state=_S.PENDING_APPROVAL)
        reviewing = set(scope.agency_ids(_P.REVIEW))
        parts = []
        for a in scope.agency_ids(_P.APPROVE):
            parts += [pending & Q(receiving_agency_id=a, step_role=r) for r in _STEP_ROLES if r != ROLE_HEAD]
        for a in sorted(reviewing):
            parts.append(pending & Q(receiving_agency_id=a, step_role=ROLE_HEAD))
        return parts or [_none()]
    return [base]


def worklist_keys_query(*, scope: OfficerScope, name: str, offset: int = 0, limit: int = PAGE_SIZE) -> QuerySet:
    """The one query behind a page: ``(sort key, primary key)`` of rows ``offset`` to
    ``offset + limit`` of the list, in list order (the benchmark explains its plan)."""
    model = Consultation if WORKLISTS[name].kind == "consultation" else Dossier
    ordering = _ordering(name)
    keyed = [model.objects.filter(q).order_by(*ordering).values_list(ordering[0], "id") for q in _parts(scope, name)]
    if len(keyed) == 1:
        return keyed[0][offset : offset + limit]
    # Each branch keeps its first offset + limit rows (an index read that stops there); the
    # union is ordered again and cut to the page.
    branches = [branch[: offset + limit] for branch in keyed]
    return branches[0].union(*branches[1:], all=True).order_by(ordering[0], "id")[offset : offset + limit]


def _page_keys(scope: OfficerScope, name: str, offset: int, limit: int) -> list[int]:
    """Primary keys of rows ``offset`` to ``offset + limit`` of the list, in list order: one query."""
    return [pk for _key, pk in worklist_keys_query(scope=scope, name=name, offset=offset, limit=limit)]


class WorklistRows:
    """A worklist as Django's paginator sees it, without reading the whole list.

    ``prime(offset, limit)`` reads the requested page (plus one row, to know whether more
    follow); ``count()`` is the navigation's cached count (computed and cached when missing)
    corrected by that page: at least one more than the page when rows follow, exact when
    the page is the last one. A count a few seconds old is the navigation's rule already.
    """

    def __init__(self, *, scope: OfficerScope, name: str):
        self.scope = scope
        self.name = name
        self._primed: tuple[int, int, list] | None = None

    def _fetch(self, offset: int, limit: int) -> list:
        keys = _page_keys(self.scope, self.name, offset, limit)
        if not keys:
            return []
        if WORKLISTS[self.name].kind == "consultation":
            queryset = Consultation.objects.select_related(
                *(f"dossier__{r}" for r in DOSSIER_RELATED), "agency", "requested_by"
            ).only(*CONSULTATION_ROW_FIELDS, *(f"dossier__{f}" for f in DOSSIER_ROW_FIELDS))
        else:
            queryset = Dossier.objects.select_related(*DOSSIER_RELATED).only(*DOSSIER_ROW_FIELDS)
        by_pk = queryset.in_bulk(keys)
        return [by_pk[k] for k in keys if k in by_pk]

    def prime(self, offset: int, limit: int) -> None:
        rows = self._fetch(offset, limit + 1)
        self._primed = (offset, limit, rows)

    def count(self) -> int:
        cached = worklist_counts(user=self.scope.user, scope=self.scope).get(self.name, 0)
        if self._primed is None:
            return cached
        offset, limit, rows = self._primed
        if len(rows) > limit:
            return max(cached, offset + limit + 1)
        if rows or offset == 0:
            return offset + len(rows)
        return min(cached, offset)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            raise TypeError("WorklistRows supports slices only")
        offset = key.start or 0
        limit = max(0, (key.stop if key.stop is not None else offset) - offset)
        if self._primed is not None and self._primed[0] == offset and self._primed[1] >= limit:
            return self._primed[2][:limit]
        return self._fetch(offset, limit)


def worklist_rows(*, scope: OfficerScope, name: str, page, page_size: int) -> WorklistRows:
    """The list for a paginator, with page ``page`` (a query parameter, maybe invalid) read."""
    rows = WorklistRows(scope=scope, name=name)
    try:
        number = int(page) if page not in (None, "") else 1
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * page_size
    if 0 <= offset <= MAX_OFFSET:  # else the paginator refuses the page, or turns to the last one
        rows.prime(offset, page_size)
    return rows


def _compute_counts(scope: OfficerScope) -> dict[str, int]:
    names = scope.names
    dossier_names = [n for n in names if WORKLISTS[n].kind == "dossier"]
    counts: dict[str, int] = {}
    if dossier_names:
        filters = {n: _dossier_filter(scope, n) for n in dossier_names}
        any_list = _none()
        for q in filters.values():
            any_list |= q
        # One scan of the union (a BitmapOr over the indexes), each list counted on the way.
        row = Dossier.objects.filter(any_list).aggregate(
            **{f"n{i}": Count("pk", filter=filters[n]) for i, n in enumerate(dossier_names)}
        )
        counts.update({n: row[f"n{i}"] for i, n in enumerate(dossier_names)})
    if "consultations" in names:
        counts["consultations"] = Consultation.objects.filter(_consultation_filter(scope)).count()
    return {n: counts[n] for n in names}


def _cache_key(user) -> str:
    return f"worklists:counts:v1:{user.pk}"


def worklist_counts(*, user, use_cache: bool = True, scope: OfficerScope | None = None) -> dict[str, int]:
    """``{worklist name: count}`` for every list that concerns the officer ({} for anyone else).

    Cached for ``COUNTS_CACHE_SECONDS`` per user: the navigation asks on every page, and a
    count a few seconds old is fine there; the lists themselves are always read live.
    """
    if not getattr(user, "is_authenticated", False):
        return {}
    if use_cache:
        cached = cache.get(_cache_key(user))
        if cached is not None:
            return cached
    counts = _compute_counts(scope or officer_scope(user=user))
    cache.set(_cache_key(user), counts, COUNTS_CACHE_SECONDS)
    return counts


def worklist_counts_forget(*, user) -> None:
    cache.delete(_cache_key(user))


def navigation_counts(*, user) -> dict[str, int] | None:
    """Counts for the officer menu, from the cache only: None when they are not cached.

    Pages never pay for the counts' SQL: when they are missing the menu asks for them
    after the page has loaded (``worklist_nav``), which caches them for the next pages.
    Anyone who is not an officer gets {} without a query.
    """
    if not portal_selectors.user_is_officer(user):
        return {}
    return cache.get(_cache_key(user))
