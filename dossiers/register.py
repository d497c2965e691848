"""The dossier register (sổ theo dõi hồ sơ: form 07 of Circular 03/2025/TT-VPCP, 06 of Circular 01/2018): reads.

One row per dossier an agency has on its books (every dossier past the draft), with the
columns of form 06. The register date (ngày nhận) is when the agency received the dossier or,
for one never received (waiting, refused), when it was filed. Rows are read as plain values
in chunks, so a page or an export of any size costs the same few queries.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers.constants import FINAL_STATES, DossierState
from dossiers.models import Dossier
from portal import selectors as portal_selectors
from portal.constants import OfficerPermission
from portal.db_router import replica_alias, replica_reads

EXPORT_MAX_ROWS = 100_000
EXPORT_CHUNK_SIZE = 2_000

# The columns of form 06, in its order.
COLUMNS = (
    gettext_lazy("STT"),
    gettext_lazy("Mã hồ sơ"),
    gettext_lazy("Tên thủ tục hành chính"),
    gettext_lazy("Tên tổ chức, cá nhân"),
    gettext_lazy("Địa chỉ, số điện thoại"),
    gettext_lazy("Cơ quan chủ trì giải quyết"),
    gettext_lazy("Ngày nhận hồ sơ"),
    gettext_lazy("Ngày hẹn trả kết quả"),
    gettext_lazy("Ngày trả kết quả"),
    gettext_lazy("Trạng thái, ghi chú"),
)

_VALUES = (
    "pk",
    "code",
    "procedure_version__name",
    "applicant_name",
    "applicant_address",
    "applicant_phone",
    "receiving_agency__name",
    "register_date",
    "due_at",
    "original_due_at",
    "resolved_at",
    "returned_at",
    "state",
)


@dataclass(frozen=True)
class RegisterRow:
    number: int
    code: str
    procedure_name: str
    applicant_name: str
    address_phone: str
    agency_name: str
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    returned_at: dt.datetime | None
    status_note: str


def register_agency_ids(*, user) -> set[int]:
    """Agencies whose register the user may read (it sees their dossiers)."""
    return portal_selectors.officer_agency_ids(user=user, permission=OfficerPermission.VIEW_DOSSIERS)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def register_dossiers(
    *,
    user,
    agency_id: int | None = None,
    received_from: dt.date | None = None,
    received_to: dt.date | None = None,
    procedure_code: str = "",
    status_code: int | None = None,
    channel: str = "",
) -> QuerySet[Dossier]:
    """The register of the user's agencies (or of one of them), filtered, oldest first.

    An agency the user does not see gives an empty register, never someone else's rows.
    """
    agency_ids = register_agency_ids(user=user)
    if agency_id is not None:
        agency_ids = agency_ids & {agency_id}
    qs = Dossier.objects.filter(receiving_agency_id__in=agency_ids, submitted_at__isnull=False).annotate(
        register_date=Coalesce("received_at", "submitted_at")
    )
    # Dates are the agency's local days, whole days included at both ends.
    if received_from:
        qs = qs.filter(register_date__gte=_day_start(received_from))
    if received_to:
        qs = qs.filter(register_date__lt=_day_start(received_to + dt.timedelta(days=1)))
    if procedure_code:
        qs = qs.filter(procedure__code=procedure_code)
    if status_code:
        qs = qs.filter(status_code=status_code)
    if channel:
        qs = qs.filter(channel=channel)
    return qs.order_by("register_date", "pk")


def _timeliness(row: dict, now: dt.datetime) -> str:
    """Early / on time / late against the appointment, as the register's note.

    Against the first appointment: a dossier given a new date by an apology letter (form 04)
    stays late.
    """
    due = row["original_due_at"] or row["due_at"]
    if due is None:
        return ""
    finished = row["resolved_at"] or row["returned_at"]
    if finished is not None:
        if finished > due:
            return _("Quá hạn")
        if timezone.localdate(finished) < timezone.localdate(due):
            return _("Trước hạn")
        return _("Đúng hạn")
    if row["state"] not in FINAL_STATES and now > due:
        return _("Quá hạn")
    return ""


def _row(number: int, row: dict, now: dt.datetime) -> RegisterRow:
    state = DossierState(row["state"]).label if row["state"] in DossierState.values else row["state"]
    note = _timeliness(row, now)
    return RegisterRow(
        number=number,
        code=row["code"] or "",
        procedure_name=row["procedure_version__name"],
        applicant_name=row["applicant_name"],
        address_phone=", ".join(part for part in (row["applicant_address"], row["applicant_phone"]) if part),
        agency_name=row["receiving_agency__name"],
        received_at=row["register_date"],
        due_at=row["due_at"],
        returned_at=row["returned_at"],
        status_note=f"{state} — {note}" if note else str(state),
    )


def register_values(qs: QuerySet[Dossier]) -> QuerySet:
    """The register's columns as plain values (what a page paginates and an export iterates)."""
    return qs.values(*_VALUES)


def register_rows(values, *, start: int = 1, now: dt.datetime | None = None) -> Iterator[RegisterRow]:
    """Number and format value rows (a page of ``register_values``, or an iterator over all of it)."""
    now = now or timezone.now()
    for number, row in enumerate(values, start):
        yield _row(number, row, now)


def register_export_rows(qs: QuerySet[Dossier], *, now: dt.datetime | None = None) -> Iterator[RegisterRow]:
    """Every row of the filtered register, read in chunks: memory and queries stay flat.

    Read from the replica when one is configured and close enough (`portal.db_router`): the
    queryset is pinned to it now, since a streamed export is read after the view has returned."""
    with replica_reads():
        qs = qs.using(replica_alias())
    return register_rows(register_values(qs).iterator(chunk_size=EXPORT_CHUNK_SIZE), now=now)
