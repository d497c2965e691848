"""Public tracking (tra cứu hồ sơ) by dossier code: what a look-up shows, to whom, and how often.

The page ``/track/`` and the API ``/api/v1/track/{code}/`` both answer from `tracking_lookup`,
so they always agree. With the code alone a look-up shows the procedure, the receiving agency,
the dates, the status and the timeline, nothing personal; with the right tracking PIN, or for
a signed-in applicant, organisation member or officer who may see the dossier, it also shows
the applicant's name and the documents. An unknown code and a wrong PIN give the same answer
in the same time. Look-ups are limited per client address (``TRACKING_RATE_LIMIT`` per
``TRACKING_RATE_WINDOW`` seconds), counted in the shared cache so every web process agrees.
"""

import functools
import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dossiers import selectors
from dossiers.constants import DossierState, StatusCode
from dossiers.core.cache import public_answer_key
from dossiers.models import Dossier, DossierEvent
from portal.client_address import client_ip
from portal.notifications import absolute_url
from portal.ratelimit import count_hit, raw_client
from procedures.models import Agency, Procedure, ProcedureVersion

CODE_MAX_LENGTH = 48
BULK_MAX_CODES = 500
CODE_PATTERN = re.compile(r"^[0-9A-Z.]+-\d{6}-\d{4,}$")
_SEPARATORS = re.compile(r"[\s,;\"']+")

NOT_FOUND_MESSAGE = _("Không tìm thấy hồ sơ. Vui lòng kiểm tra lại mã hồ sơ và mã PIN tra cứu.")
RATE_LIMIT_MESSAGE = _("Bạn đã tra cứu quá nhiều lần trong thời gian ngắn. Vui lòng thử lại sau ít phút.")
RATE_LIMIT_SHORT = _("Bạn đã tra cứu quá nhiều lần trong thời gian ngắn.")
NOT_FOUND_ROW = _("Không tìm thấy")

# How each kind of event reads on a timeline; unknown actions fall back to the state reached.


def normalise_code(raw) -> str:
    """A typed or scanned code as stored: trimmed, upper case; empty when it cannot be one."""
    code = str(raw or "").strip().upper()
    return code if 0 < len(code) <= CODE_MAX_LENGTH else ""


def status_label(dossier: Dossier) -> str:
    return str(StatusCode(dossier.status_code).label) if dossier.status_code else str(dossier.get_state_display())


@dataclass
class TrackingResult:
    dossier: Dossier
    personal: bool  # the applicant's name and the documents may be shown
    signed_in_viewer: bool = False  # the caller may also open the documents themselves
    timeline: list = field(default_factory=list)


# The columns a public look-up shows (page and API): the rest of the row, and the procedure
# version's large form and workflow columns, are not read.
TRACKING_FIELDS = (
    "code",
    "state",
    "status_code",
    "applicant_name",
    "submitted_at",
    "received_at",
    "due_at",
    "procedure__code",
    "procedure_version__name",
    "receiving_agency__code",
    "receiving_agency__name",
    "receiving_agency__short_name",
    # Receipt anywhere: the centre that received the dossier and handed it over.
    "reception_centre__code",
    "reception_centre__name",
)
TIMELINE_FIELDS = (
    "dossier_id",
    "seq",
    "action",
    "from_state",
    "to_state",
    "note",
    "public_note",
    "payload",
    "created_at",
)


def _public_dossier(code: str) -> Dossier | None:
    """The dossier's public columns (any database)."""
    queryset = (
        Dossier.objects.select_related("procedure", "procedure_version", "receiving_agency", "reception_centre")
        .only(*TRACKING_FIELDS)
        .exclude(state=DossierState.DRAFT)
    )
    # ``code`` is unique: a slice without ORDER BY (``first()`` would add one).
    found = list(queryset.filter(code=code)[:1])
    return found[0] if found else None


@functools.cache
def _public_lookup_sql() -> str:
    """One PostgreSQL statement for a public look-up: the dossier's public columns, its procedure,
    version and agency, and its timeline as a JSON array. Written once from the models' table and
    column names: building the equivalent ORM query (a JSON subquery) cost more CPU than the
    look-up itself."""

    def col(model, name: str) -> str:
        return model._meta.get_field(name).column

    d, p, v, a, e = Dossier, Procedure, ProcedureVersion, Agency, DossierEvent
    # A look-up by code alone shows no note of any kind: neither is read.
    unread = ("dossier_id", "note", "public_note")
    event_fields = ", ".join(f"'{n}', e.{col(e, n)}" for n in TIMELINE_FIELDS if n not in unread)
    # Only model metadata is interpolated; the code and the state are parameters.
    return (
        f"SELECT d.{col(d, 'id')}, d.{col(d, 'code')}, d.{col(d, 'state')}, d.{col(d, 'status_code')},"  # noqa: S608
        f" d.{col(d, 'submitted_at')}, d.{col(d, 'received_at')}, d.{col(d, 'due_at')},"
        f" p.{col(p, 'id')}, p.{col(p, 'code')}, v.{col(v, 'id')}, v.{col(v, 'name')},"
        f" a.{col(a, 'id')}, a.{col(a, 'code')}, a.{col(a, 'name')}, a.{col(a, 'short_name')},"
        f" (SELECT coalesce(json_agg(json_build_object({event_fields}) ORDER BY e.{col(e, 'seq')}), '[]')"
        f"  FROM {e._meta.db_table} e WHERE e.{col(e, 'dossier')} = d.{col(d, 'id')})"
        f" FROM {d._meta.db_table} d"
        f" JOIN {p._meta.db_table} p ON p.{col(p, 'id')} = d.{col(d, 'procedure')}"
        f" JOIN {v._meta.db_table} v ON v.{col(v, 'id')} = d.{col(d, 'procedure_version')}"
        f" JOIN {a._meta.db_table} a ON a.{col(a, 'id')} = d.{col(d, 'receiving_agency')}"
        f" WHERE d.{col(d, 'code')} = %s AND d.{col(d, 'state')} <> %s LIMIT 1"
    )


def _public_dossier_with_timeline(code: str) -> tuple[Dossier | None, list | None]:
    """The public look-up in one round trip on PostgreSQL (the dossier and its timeline);
    elsewhere the ORM's two queries. Returns (dossier, timeline) — the timeline None when the
    caller must read it."""
    if connection.vendor != "postgresql":
        return _public_dossier(code), None
    with connection.cursor() as cursor:
        cursor.execute(_public_lookup_sql(), [code, DossierState.DRAFT])
        row = cursor.fetchone()
    if row is None:
        return None, None
    (pk, code, state, status_code, submitted_at, received_at, due_at, procedure_id, procedure_code,
     version_id, version_name, agency_id, agency_code, agency_name, agency_short_name, events) = row  # fmt: skip
    if isinstance(events, str):  # a driver that leaves JSON as text
        events = json.loads(events)
    dossier = Dossier(
        id=pk,
        code=code,
        state=state,
        status_code=status_code,
        submitted_at=submitted_at,
        received_at=received_at,
        due_at=due_at,
        procedure=Procedure(id=procedure_id, code=procedure_code),
        procedure_version=ProcedureVersion(id=version_id, name=version_name),
        receiving_agency=Agency(id=agency_id, code=agency_code, name=agency_name, short_name=agency_short_name),
    )
    timeline = [
        DossierEvent(dossier_id=pk, **{**event, "created_at": datetime.fromisoformat(event["created_at"])})
        for event in events
    ]
    return dossier, timeline


def tracking_lookup(*, code, pin: str | None = None, user=None) -> TrackingResult | None:
    """The dossier as the caller may see it, or None (unknown code and wrong PIN alike)."""
    code = normalise_code(code)
    pin = str(pin or "").strip()[:32]
    dossier = None
    personal = viewer = False
    if pin:
        # Always check the PIN (same work for unknown codes) before any other branch.
        dossier = selectors.dossier_check_pin(code=code, pin=pin)
        personal = dossier is not None
    if getattr(user, "is_authenticated", False) and code:
        own = selectors.dossier_get_for_user(user=user, code=code)
        if own is not None and own.state != DossierState.DRAFT:
            dossier, personal, viewer = own, True, True
    timeline = None
    if dossier is None and not pin and code:
        dossier, timeline = _public_dossier_with_timeline(code)
    if dossier is None:
        return None
    if timeline is None:
        timeline = list(selectors.dossier_timeline(dossier=dossier).only(*TIMELINE_FIELDS))
    return TrackingResult(dossier=dossier, personal=personal, signed_in_viewer=viewer, timeline=timeline)


def client_ident(request) -> str:
    """The client address (`portal.client_address`: X-Forwarded-For only from a trusted proxy)."""
    return client_ip(request) or "unknown"


def tracking_rate_limited(request, *, cost: int = 1) -> bool:
    """Count one look-up for the caller's address; True once it is over the limit."""
    return tracking_count_and_peek(request, cost=cost)[0]


def tracking_count_and_peek(request, *, cost: int = 1, public_code: str = "") -> tuple[bool, bytes | None]:
    """Count one look-up for the caller's address and, for an anonymous look-up by code alone,
    fetch the cached public answer (`public_answer_key`) in the same Redis round trip.
    Returns (over the limit, cached JSON or None)."""
    return _count(client_ident(request), cost=cost, peek=public_answer_key(public_code) if public_code else "")


def tracking_count_ident(ident: str, *, cost: int = 1) -> bool:
    """Count one look-up for a caller known by ``ident`` rather than an address (the Zalo chatbot:
    ``zalo:<sender id>``), under the same limit as ``/track/``; True once it is over."""
    return _count(ident, cost=cost)[0]


def _count(ident: str, *, cost: int, peek: str = "") -> tuple[bool, bytes | None]:
    limit = getattr(settings, "TRACKING_RATE_LIMIT", 30)
    window = max(1, getattr(settings, "TRACKING_RATE_WINDOW", 60))
    key = f"tracking-rate:{ident}:{int(time.time() // window)}"
    count, _left, cached = count_hit(key, cost, window + 5, peek=peek)
    return count > limit, cached


# --- the public answer, cached -----------------------------------------------------------------
#
# A look-up by code alone shows nothing personal, so every anonymous caller gets the same
# answer (per language). It is kept for PUBLIC_ANSWER_SECONDS as the rendered JSON and
# dropped when the dossier records an event (`public_answer_forget`, on the event's commit):
# a status change shows at once. The timeout bounds what a change made without an event
# (an agency renamed, an admin's edit) could leave.

PUBLIC_ANSWER_SECONDS = 60


def public_answer_store(code: str, content: bytes) -> None:
    key = public_answer_key(code)
    client, full_key = raw_client(key)
    if client is not None:
        client.set(full_key, content, ex=PUBLIC_ANSWER_SECONDS)
    else:
        cache.set(key, content, PUBLIC_ANSWER_SECONDS)


def tracking_retry_after() -> int:
    window = max(1, getattr(settings, "TRACKING_RATE_WINDOW", 60))
    return window - int(time.time()) % window


def bulk_codes_parse(pasted: str = "", uploaded: str = "") -> list[str]:
    """Codes from pasted text and an uploaded CSV/text file, order kept, duplicates dropped.

    Pasted text is taken as it is (any separator; a mistyped code shows as "not found").
    From a file, which is often a spreadsheet export with headers and other columns, only
    the cells shaped like a dossier code are taken.
    """
    tokens = [t.strip().upper() for t in _SEPARATORS.split(pasted or "")]
    tokens += [c for c in (t.strip().upper() for t in _SEPARATORS.split(uploaded or "")) if CODE_PATTERN.match(c)]
    seen: dict[str, None] = {}
    for code in tokens:
        if code:
            seen.setdefault(code[:CODE_MAX_LENGTH], None)
    return list(seen)


def bulk_tracking(*, user, codes: list[str]) -> list[dict]:
    """One row per code, in the order given; dossiers the user may not see read "not found".

    Two queries whatever the number of codes (the user's organisations, then the dossiers).
    """
    found = {
        d.code: d for d in selectors.dossiers_for_applicant(user=user, include_drafts=False).filter(code__in=codes)
    }
    rows = []
    for code in codes:
        dossier = found.get(code)
        if dossier is None:
            rows.append({"code": code, "found": False, "status": str(NOT_FOUND_ROW)})
        else:
            rows.append(
                {
                    "code": code,
                    "found": True,
                    "dossier": dossier,
                    "procedure": dossier.procedure_version.name,
                    "procedure_code": dossier.procedure.code,
                    "status": status_label(dossier),
                    "status_code": dossier.status_code,
                    "due_at": dossier.due_at,
                }
            )
    return rows


# --- the Zalo Official Account chatbot (portal.zalo; webhook in dossiers.views.zalo) ------------


def zalo_answer(*, sender_id: str, text: str) -> str:
    """The bot's answer (in Vietnamese) to ``text`` from Zalo user ``sender_id``.

    ``text`` is a dossier code, optionally followed by the tracking PIN. The look-up is the
    public tracking's (`tracking_lookup`) and counts against the same limit
    as ``/track/``, keyed per Zalo sender instead of per address."""
    with translation.override("vi"):
        words = str(text or "").split()
        if tracking_count_ident(f"zalo:{sender_id}"):
            return str(RATE_LIMIT_MESSAGE)
        code = normalise_code(words[0]) if words else ""
        if not code:
            return gettext(
                "Vui lòng gửi mã hồ sơ (và mã PIN tra cứu nếu muốn xem chi tiết), ví dụ: H12.34-260101-0001 123456"
            )
        pin = words[1] if len(words) > 1 else None
        result = tracking_lookup(code=code, pin=pin)
        if result is None:
            return gettext("Không tìm thấy hồ sơ %(code)s. Vui lòng kiểm tra lại mã hồ sơ và mã PIN tra cứu.") % {
                "code": code
            }
        dossier = result.dossier
        lines = [
            gettext("Hồ sơ %(code)s") % {"code": dossier.code},
            gettext("Thủ tục: %(name)s") % {"name": dossier.procedure_version.name},
            gettext("Trạng thái: %(status)s") % {"status": status_label(dossier)},
        ]
        if dossier.due_at:
            due = formats.date_format(timezone.localtime(dossier.due_at), "d/m/Y")
            lines.append(gettext("Ngày hẹn trả kết quả: %(date)s") % {"date": due})
        if result.personal:
            lines.append(gettext("Người nộp: %(name)s") % {"name": dossier.applicant_name})
        elif pin is None:
            lines.append(gettext("Gửi kèm mã PIN tra cứu sau mã hồ sơ để xem chi tiết."))
        lines.append(
            gettext("Xem hồ sơ: %(url)s") % {"url": absolute_url(reverse("dossiers:detail", args=[dossier.code]))}
        )
        return "\n".join(lines)
