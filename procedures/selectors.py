"""Reads of the catalogue; with ``services`` this is what other apps may import.

The version of a procedure in force on a day is the latest published version whose effective
date is not after that day. Search is accent-insensitive and typo-tolerant on PostgreSQL
(``unaccent`` + ``pg_trgm``, ranked); the zero-setup SQLite run uses a plain ``icontains``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
import unicodedata

from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Greatest, Lower, StrIndex
from django.utils import timezone

from portal.db_router import primary_reads
from procedures import rulebook, working_time
from procedures.constants import (
    SEARCH_MAX_LENGTH,
    ApplicantType,
    LegacyLevel,
    ProcessingTimeUnit,
    ServiceLevel,
    VersionStatus,
)
from procedures.form_answers import form_answers_present
from procedures.form_schema import build_form as form_schema_build_form
from procedures.form_schema import date_parts_iso as form_schema_date_parts_iso
from procedures.form_schema import (
    form_schema_page,
    form_schema_pages,
    form_schema_prefill,
    form_schema_validate,
    form_schema_validate_data,
)
from procedures.models import (
    Agency,
    Department,
    DocumentRequirement,
    Fee,
    Procedure,
    ProcedureVersion,
    RuleSet,
    Sector,
)
from procedures.workflow_template import workflow_steps_validate

__all__ = [
    "active_agency_ids",
    "agency_get_by_code",
    "agency_list",
    "catalogue_content_counts",
    "catalogue_index_figures",
    "document_requirement_get",
    "fold_accents",
    "form_answers_present",
    "form_schema_build_form",
    "form_schema_date_parts_iso",
    "form_schema_prefill",
    "form_schema_validate",
    "form_schema_validate_data",
    "form_schema_page",
    "form_schema_pages",
    "normalise_search_query",
    "parse_level",
    "procedure_get_by_code",
    "procedure_in_force_by_code",
    "procedure_search",
    "procedure_search_ids",
    "procedure_version_get",
    "procedure_version_in_force",
    "procedure_versions_in_force",
    "sector_list",
    "workflow_steps_validate",
]

# Minimum trigram similarity for a typo-tolerant match (besides plain containment).
SEARCH_SIMILARITY = 0.45
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class Unaccent(Func):
    """``procedures_unaccent(text)``: the IMMUTABLE wrapper created by migration 0002."""

    function = "procedures_unaccent"
    output_field = TextField()


# --- agencies and fields ---------------------------------------------------------------------


def agency_get_by_code(code: str) -> Agency | None:
    if not isinstance(code, str) or not code or len(code) > 32:
        return None
    return Agency.objects.filter(code=code).first()


def department_get(*, department_id: int, agency_id: int) -> Department | None:
    """A department (phòng) of the agency, or None when it belongs to another."""
    return Department.objects.filter(pk=department_id, agency_id=agency_id).first()


def departments_of_agency(*, agency_id: int, ids: set[int] | None = None) -> QuerySet[Department]:
    """The agency's departments (phòng), by name; with ``ids``, only those."""
    qs = Department.objects.filter(agency_id=agency_id).order_by("name", "pk")
    return qs if ids is None else qs.filter(pk__in=ids)


def agency_list(*, active_only: bool = True) -> QuerySet[Agency]:
    qs = Agency.objects.select_related("parent").order_by("code")
    return qs.filter(is_active=True) if active_only else qs


def sector_list() -> QuerySet[Sector]:
    return Sector.objects.order_by("name")


def sector_exists(*, sector_id: int) -> bool:
    return Sector.objects.filter(pk=sector_id).exists()


def procedures_served(*, agency_ids) -> QuerySet[Procedure]:
    """The procedures any of the agencies implements, by code (an officer's filter choices)."""
    return Procedure.objects.filter(agencies__in=list(agency_ids)).distinct().order_by("code")


def procedure_served_exists(*, code: str, agency_ids) -> bool:
    return Procedure.objects.filter(code=code, agencies__in=list(agency_ids)).exists()


def departments_of(*, agency_ids) -> QuerySet[Department]:
    return (
        Department.objects.filter(agency_id__in=list(agency_ids)).select_related("agency").order_by("agency_id", "name")
    )


def department_in_agencies(*, department_id: int, agency_ids) -> bool:
    return Department.objects.filter(pk=department_id, agency_id__in=list(agency_ids)).exists()


# --- procedures and versions -----------------------------------------------------------------


def procedure_get_by_code(code: str) -> Procedure | None:
    if not isinstance(code, str) or not code or len(code) > 32:
        return None
    return Procedure.objects.select_related("sector").filter(code=code).first()


def procedure_version_get(pk: int) -> ProcedureVersion | None:
    """A version by id (dossiers keep the id of the version they were filed under)."""
    return ProcedureVersion.objects.select_related("procedure").filter(pk=pk).first()


def _in_force_pk(on: dt.date) -> Subquery:
    latest = (
        ProcedureVersion.objects.filter(
            procedure=OuterRef("procedure"), status=VersionStatus.PUBLISHED, effective_date__lte=on
        )
        .order_by("-effective_date", "-number")
        .values("pk")[:1]
    )
    return Subquery(latest)


def procedure_versions_in_force(*, on: dt.date | None = None) -> QuerySet[ProcedureVersion]:
    """One row per active procedure: its version in force on ``on`` (default today)."""
    on = on or timezone.localdate()
    return ProcedureVersion.objects.filter(
        status=VersionStatus.PUBLISHED,
        effective_date__lte=on,
        procedure__is_active=True,
        pk=_in_force_pk(on),
    )


def active_agency_ids() -> frozenset[int]:
    """The ids of the active agencies, cached per catalogue generation (an agency saved changes it)."""
    return frozenset(
        catalogue_cached(
            "active_agency_ids", (), lambda: list(Agency.objects.filter(is_active=True).values_list("pk", flat=True))
        )
    )


def catalogue_content_counts(*, on: dt.date | None = None) -> tuple[int, int]:
    """(procedures in force whose version has every component, procedures in force) on ``on``
    (default today), for item 1.3 of the service-quality index: the components of Decree
    63/2010/NĐ-CP art. 8(2) as the national description lists them — name, sequence (steps),
    method (a channel), documents (one requirement at least), time limit (always held: a required
    field, 0 working days meaning "within the day"), applicants (citizens or organisations),
    agency (one at least). Cached per catalogue generation."""
    on = on or timezone.localdate()

    def compute() -> tuple[int, int]:
        versions = procedure_versions_in_force(on=on)
        complete = versions.filter(
            ~Q(name=""),
            ~Q(steps_text=""),
            Q(channel_in_person=True) | Q(channel_online=True) | Q(channel_post=True),
            Q(for_citizens=True) | Q(for_organisations=True),
            Exists(DocumentRequirement.objects.filter(version=OuterRef("pk"))),
            Exists(Procedure.agencies.through.objects.filter(procedure=OuterRef("procedure"))),
        )
        return complete.count(), versions.count()

    return tuple(catalogue_cached("content_counts", (on.isoformat(),), compute))


def catalogue_index_figures(*, prefills: frozenset[str], documents: frozenset[str], on: dt.date | None = None) -> dict:
    """What the service-quality index counts in the catalogue on ``on`` (default today), in one
    query, cached per catalogue generation:

    - ``in_force``, ``online``: procedures in force, and those offering an online service (item
      3.1: partly or fully online, một phần or toàn trình, with online filing open);
    - ``fee_ids``, ``fee_online_ids``: the procedures with a fee or charge above 0, and those of
      them that take online filings, whose fees the portal asks online (items 3.5, 3.5b);
    - ``citizen``, ``population``: the procedures citizens file, and those of them that take data
      of the national population database (item 4.5a): a form field prefilled from one of
      ``prefills`` (what the database answers) or a component bound to one of ``documents``."""
    on = on or timezone.localdate()

    def compute() -> dict:
        versions = procedure_versions_in_force(on=on).annotate(
            has_fee=Exists(Fee.objects.filter(version=OuterRef("pk"), amount__gt=0)),
            bound=Exists(DocumentRequirement.objects.filter(version=OuterRef("pk"), national_document__in=documents)),
        )
        found = {"in_force": 0, "online": 0, "fee_ids": [], "fee_online_ids": [], "citizen": 0, "population": 0}
        rows = versions.values_list(
            "procedure_id", "channel_online", "service_level", "for_citizens", "form_schema", "has_fee", "bound"
        )
        for procedure_id, channel_online, level, for_citizens, schema, has_fee, bound in rows:
            online = channel_online and level in (ServiceLevel.FULL, ServiceLevel.PARTIAL)
            found["in_force"] += 1
            found["online"] += online
            if has_fee:
                found["fee_ids"].append(procedure_id)
                if online:
                    found["fee_online_ids"].append(procedure_id)
            if for_citizens:
                found["citizen"] += 1
                fields = (schema or {}).get("fields", []) if isinstance(schema, dict) else []
                found["population"] += bound or any(
                    isinstance(f, dict) and f.get("prefill") in prefills for f in fields
                )
        return found

    return catalogue_cached("index_figures", (on.isoformat(), sorted(prefills), sorted(documents)), compute)


def procedure_version_in_force(procedure: Procedure, *, on: dt.date | None = None) -> ProcedureVersion | None:
    on = on or timezone.localdate()
    return (
        procedure.versions.filter(status=VersionStatus.PUBLISHED, effective_date__lte=on)
        .order_by("-effective_date", "-number")
        .first()
    )


def procedure_in_force_by_code(code: str, *, on: dt.date | None = None) -> ProcedureVersion | None:
    """The version in force of an active procedure, with everything a detail page shows."""
    if not isinstance(code, str) or not code or len(code) > 32:
        return None
    return (
        procedure_versions_in_force(on=on)
        .filter(procedure__code=code)
        .select_related("procedure", "procedure__sector")
        .prefetch_related(
            "fees",
            Prefetch("documents", queryset=DocumentRequirement.objects.order_by("order", "id")),
            Prefetch("procedure__agencies", queryset=Agency.objects.order_by("code")),
        )
        .first()
    )


def procedure_in_force_for_filing(code: str) -> ProcedureVersion | None:
    """`procedure_in_force_by_code` for today, cached per catalogue generation (`catalogue_cached`):
    filing reads the same few versions all day. Each call gets its own unpickled copy."""
    if not isinstance(code, str) or not code or len(code) > 32:
        return None
    return catalogue_cached(
        "in_force", (code, timezone.localdate().isoformat()), lambda: procedure_in_force_by_code(code)
    )


def document_requirement_get(pk: int) -> DocumentRequirement | None:
    return DocumentRequirement.objects.select_related("version", "version__procedure").filter(pk=pk).first()


# --- search ----------------------------------------------------------------------------------


def normalise_search_query(q: str | None) -> str:
    """Trim, drop control characters, collapse spaces and cap the length of a search string."""
    if not isinstance(q, str):
        return ""
    q = unicodedata.normalize("NFC", _CONTROL_RE.sub(" ", q[: SEARCH_MAX_LENGTH * 4]))
    return " ".join(q.split())[:SEARCH_MAX_LENGTH].strip()


def fold_accents(text: str) -> str:
    """Lower-case ASCII folding of Vietnamese text: "Đăng ký" → "dang ky"."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if unicodedata.category(c) != "Mn").lower()


def parse_level(value: str | None) -> Q | None:
    """A level filter: the Decree 42 level (full/partial/information) or an old level 1–4.

    Raises ValueError for anything else.
    """
    if value in (None, ""):
        return None
    if value in ServiceLevel.values:
        return Q(service_level=value)
    if value.isdigit() and int(value) in LegacyLevel.values:
        return Q(legacy_level=int(value))
    raise ValueError(value)


def procedure_search(
    *,
    q: str = "",
    agency: str = "",
    sector: str = "",
    level: str = "",
    applicant: str = "",
    on: dt.date | None = None,
) -> QuerySet[ProcedureVersion]:
    """Versions in force matching the query and filters, best match first.

    Filters take codes (agency unit code, field code); an invalid level or applicant type
    raises ValueError, so the caller can say so.
    """
    qs = procedure_versions_in_force(on=on).select_related("procedure", "procedure__sector")
    if agency:
        qs = qs.filter(procedure__agencies__code=agency)
    if sector:
        qs = qs.filter(procedure__sector__code=sector)
    level_q = parse_level(level)
    if level_q is not None:
        qs = qs.filter(level_q)
    if applicant:
        if applicant == ApplicantType.CITIZEN:
            qs = qs.filter(for_citizens=True)
        elif applicant == ApplicantType.ORGANISATION:
            qs = qs.filter(for_organisations=True)
        else:
            raise ValueError(applicant)
    q = normalise_search_query(q)
    if not q:
        return qs.order_by("procedure__sector__name", "name")
    code_match = Q(procedure__code__istartswith=q)
    if connection.vendor != "postgresql":
        # The zero-setup SQLite run: fold accents in Python over the (small) catalogue.
        folded = fold_accents(q)
        rows = qs.values_list("pk", "name", "name_en", "procedure__code")
        ids = [
            pk
            for pk, name, name_en, code in rows
            if folded in fold_accents(name) or folded in fold_accents(name_en) or code.startswith(q)
        ]
        return qs.filter(pk__in=ids).order_by("name")
    # The Vietnamese name and the English one (issue 19: "birth registration" finds 1.001193);
    # an empty English name never matches, its similarity being 0.
    target = Unaccent(Lower(F("name")))
    target_en = Unaccent(Lower(F("name_en")))
    query = Unaccent(Lower(Value(q)))
    return (
        qs.annotate(
            found=StrIndex(target, query),
            found_en=StrIndex(target_en, query),
            similarity=TrigramSimilarity(target, query),
            word_similarity=TrigramWordSimilarity(query, target),
            similarity_en=TrigramSimilarity(target_en, query),
            word_similarity_en=TrigramWordSimilarity(query, target_en),
        )
        .annotate(
            hit=Case(
                When(code_match, then=Value(2)),
                When(Q(found__gt=0) | Q(found_en__gt=0), then=Value(1)),
                default=Value(0),
            ),
            rank=Greatest(
                "similarity", "word_similarity", "similarity_en", "word_similarity_en", output_field=FloatField()
            ),
        )
        .filter(Q(hit__gt=0) | Q(rank__gte=SEARCH_SIMILARITY))
        .order_by("-hit", "-rank", "-similarity", "name")
    )


# --- catalogue search cache ------------------------------------------------------------------

SEARCH_CACHE_SECONDS = 300
_GENERATION_KEY = "catalogue:generation"


def catalogue_generation() -> int:
    """A number that changes whenever the catalogue does (``catalogue_changed``)."""
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        generation = time.time_ns()
        cache.add(_GENERATION_KEY, generation, timeout=None)
        generation = cache.get(_GENERATION_KEY, generation)
    return generation


def catalogue_changed(**_kwargs) -> None:
    """Invalidates every cached search (connected to the catalogue models' signals)."""
    cache.set(_GENERATION_KEY, time.time_ns(), timeout=None)


def catalogue_cached(name: str, parts: tuple, compute):
    """``compute()``, cached per catalogue generation and ``parts`` for ``SEARCH_CACHE_SECONDS``.

    The key carries the generation, so a change to a procedure, version, sector or agency
    (``catalogue_changed``) makes every older entry unreachable; the timeout also bounds what
    a change made without signals (a bulk update) could leave.
    """
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    key = f"catalogue:{name}:{catalogue_generation()}:{digest}"
    value = cache.get(key)
    if value is None:
        # What is cached outlives a replica's lag: it is computed on the primary.
        with primary_reads():
            value = compute()
        cache.set(key, value, SEARCH_CACHE_SECONDS)
    return value


def procedure_search_ids(*, q: str = "", on: dt.date | None = None, **filters) -> list[int]:
    """Primary keys of ``procedure_search``'s versions, in its order, cached (see above).

    Raises ValueError like ``procedure_search`` for an invalid level or applicant type.
    """
    q = normalise_search_query(q)
    on = on or timezone.localdate()
    parts = (q, on.isoformat(), tuple(sorted(filters.items())))
    return catalogue_cached(
        "search", parts, lambda: list(procedure_search(q=q, on=on, **filters).values_list("pk", flat=True))
    )


# --- the rulebook: the dated rule sets of the one-stop mechanism (procedures.rulebook) -----------

_RULESETS_KEY = "rulebook:overrides"
RuleBook = rulebook.RuleBook


def _rule_overrides(*, cached_only: bool = False) -> list[dict]:
    """The administrator's rule sets, cached without expiry (refilled by ``rule_sets_changed`` on
    every change in the admin). ``cached_only``: never a query (a page's footer, on every
    request), the built-in sets alone while the cache is cold."""
    overrides = cache.get(_RULESETS_KEY)
    if overrides is None and cached_only:
        return []
    if overrides is None:
        with primary_reads():
            overrides = [
                {
                    "key": f"db-{row['pk']}",
                    **{k: v for k, v in row.items() if k != "pk"},
                }
                for row in RuleSet.objects.values(
                    "pk",
                    "effective_from",
                    "name",
                    "decree",
                    "decree_citation",
                    "circular",
                    "circular_citation",
                    "forms",
                    "dossier_code_article",
                    "sector_code_article",
                    "online_reception_hours",
                    "online_reception_article",
                    "receipt_anywhere_article",
                )
            ]
        cache.set(_RULESETS_KEY, overrides, timeout=None)
    return overrides


def rule_sets_changed(**_kwargs) -> None:
    """A rule set was saved or deleted: the cache is filled again at once (the footer reads it only)."""
    cache.delete(_RULESETS_KEY)
    _rule_overrides()


def rule_sets(*, cached_only: bool = False) -> list[RuleBook]:
    """Every rule set, oldest first (built-in and the administrator's)."""
    return rulebook.rulebook_chain(_rule_overrides(cached_only=cached_only))


def rule_set_on(day: dt.date | None = None, *, cached_only: bool = False) -> RuleBook:
    """The rule set in force on ``day`` (today when not given)."""
    return rulebook.rulebook_on(rule_sets(cached_only=cached_only), day or timezone.localdate())


def rule_set_in_force_cached() -> RuleBook:
    """Today's rule set without a query: for the footer of every page (see ``_rule_overrides``)."""
    return rule_set_on(cached_only=True)


def working_hours_after(*, agency: Agency, moment: dt.datetime, hours: int) -> dt.datetime:
    """``hours`` working hours of ``agency`` counted from the next working moment after
    ``moment``, its calendar read once."""
    calendar = working_time.calendar_for_agency(agency)
    begin = working_time.next_working_moment(moment, calendar=calendar)
    return working_time.add_working_minutes(begin, hours * 60, calendar=calendar)


def working_days_after(*, agency: Agency, moment: dt.datetime, days: int) -> dt.datetime:
    """The close of the ``days``-th working day of ``agency`` after ``moment`` (the day of receipt
    not counted; a receipt outside working time counts from the next working moment)."""
    return working_time.due_datetime(moment, days=days, agency=agency)


def rule_set_at(moment: dt.datetime | None) -> RuleBook:
    """The rule set in force at ``moment`` (a dossier's reception), by the local date."""
    return rule_set_on(timezone.localdate(moment) if moment is not None else None)


# --- working-time calendar (public face for other apps) ---------------------------------------


def version_due_datetime(*, version: ProcedureVersion, agency: Agency, received_at: dt.datetime) -> dt.datetime:
    """When a dossier of `version` received at `received_at` by `agency` is due."""
    if version.processing_time_unit == ProcessingTimeUnit.WORKING_HOURS:
        return working_time.due_datetime(received_at, hours=version.processing_time, agency=agency)
    return working_time.due_datetime(received_at, days=version.processing_time, agency=agency)


def next_working_moment(*, agency: Agency, moment: dt.datetime) -> dt.datetime:
    return working_time.calendar_for_agency(agency).next_working_moment(moment)


def working_minutes_between(*, agency: Agency, start: dt.datetime, end: dt.datetime) -> int:
    """Whole working minutes of ``agency`` from ``start`` to ``end`` (e.g. a paused clock)."""
    return working_time.working_minutes_between(start, end, agency=agency)


def working_minutes_counter(*, agency: Agency):
    """``working_minutes_between`` for many intervals of one agency: its calendar is loaded once."""
    calendar = working_time.calendar_for_agency(agency)
    return lambda start, end: working_time.working_minutes_between(start, end, calendar=calendar)


def add_working_minutes(*, agency: Agency, moment: dt.datetime, minutes: float) -> dt.datetime:
    return working_time.add_working_minutes(moment, minutes, agency=agency)


def working_time_fault(*, agency: Agency, moment: dt.datetime) -> str:
    """Why ``moment`` is not in ``agency``'s working time: "day_off" (a weekend, holiday or
    announced day off), "hours" (a working day, outside its periods), or "" when it is."""
    calendar = working_time.calendar_for_agency(agency)
    local = timezone.localtime(moment)
    if not calendar.is_working_day(local.date()):
        return "day_off"
    return "" if calendar.is_working_time(local) else "hours"


def working_day_close(*, agency: Agency, day: dt.date) -> dt.datetime | None:
    """The end of ``agency``'s last working period on ``day``; None when ``day`` is a day off."""
    calendar = working_time.calendar_for_agency(agency)
    return calendar.close_of_day(day) if calendar.is_working_day(day) else None


def working_hours_label(*, agency: Agency) -> str:
    """The agency's working periods as people write them: "07:30–11:30, 13:00–17:00"."""
    periods = working_time.calendar_for_agency(agency).periods
    return ", ".join(f"{a // 60:02d}:{a % 60:02d}–{b // 60:02d}:{b % 60:02d}" for a, b in periods)


# --- receipt anywhere in the province (Decree 118/2025/NĐ-CP) --------------------------------


def agency_province_id(*, agency: Agency) -> int:
    """The root of ``agency``'s tree: its province (the tree has any depth; a cycle stops the walk)."""
    seen = {agency.pk}
    parent_id = agency.parent_id
    current = agency.pk
    while parent_id is not None and parent_id not in seen:
        seen.add(parent_id)
        current = parent_id
        parent_id = Agency.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
    return current


def centre_hand_over_agencies(*, centre: Agency, procedure_id: int) -> list[Agency]:
    """The agencies a Public Administration Service Centre hands a dossier of the procedure over
    to: the procedure's active implementing agencies in the centre's province. Empty when
    ``centre`` is no centre, or implements the procedure itself (it then decides it)."""
    if not centre.is_service_centre:
        return []
    agencies = list(
        Agency.objects.filter(procedures__pk=procedure_id, is_active=True).order_by("name", "code").distinct()
    )
    if any(a.pk == centre.pk for a in agencies):
        return []
    province = agency_province_id(agency=centre)
    return [a for a in agencies if agency_province_id(agency=a) == province]


def service_centres_for_procedure(*, procedure_id: int) -> list[Agency]:
    """The active centres that may receive a dossier of the procedure for one of its agencies."""
    centres = Agency.objects.filter(is_service_centre=True, is_active=True).order_by("name", "code")
    return [c for c in centres if centre_hand_over_agencies(centre=c, procedure_id=procedure_id)]


def province_agency_ids(*, agency: Agency) -> list[int]:
    """Every agency of ``agency``'s province (its tree from the root), the root included."""
    ids = [agency_province_id(agency=agency)]
    frontier = list(ids)
    while frontier:
        frontier = list(Agency.objects.filter(parent_id__in=frontier).exclude(pk__in=ids).values_list("pk", flat=True))
        ids += frontier
    return ids


def intake_agency_ids(*, agency_ids) -> list[int]:
    """The agencies whose procedures officers of ``agency_ids`` take in: their own, and for a
    Public Administration Service Centre among them, every agency of its province."""
    ids = set(agency_ids)
    for centre in Agency.objects.filter(pk__in=list(agency_ids), is_service_centre=True, is_active=True):
        ids.update(province_agency_ids(agency=centre))
    return sorted(ids)
