"""Public pages of the catalogue: search and filters, procedure detail, template downloads."""

import mimetypes

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from portal.db_router import replica_reads
from portal.storage import storage_file_response
from procedures import selectors
from procedures.constants import SEARCH_MAX_LENGTH, ApplicantType, LegacyLevel, ServiceLevel
from procedures.models import Agency, ProcedureVersion

PAGE_SIZE = 20
# What a row of the list shows.
_LIST_FIELDS = (
    "name",
    "name_en",
    "summary_en",
    "service_level",
    "legacy_level",
    "procedure__code",
    "procedure__sector__name",
)


def _level_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in ServiceLevel.choices] + [
        (str(value), str(label)) for value, label in LegacyLevel.choices
    ]


@require_GET
@replica_reads()
def procedure_list(request):
    params = request.GET
    q = selectors.normalise_search_query(params.get("q", ""))
    filters = {
        "agency": params.get("agency", "")[:32],
        "sector": params.get("field", "")[:32],
        "level": params.get("level", "")[:20],
        "applicant": params.get("applicant", "")[:20],
    }
    try:
        ids = selectors.procedure_search_ids(q=q, **filters)
    except ValueError:
        # An unknown level or applicant type from a hand-edited URL: drop those two filters.
        filters.update(level="", applicant="")
        ids = selectors.procedure_search_ids(q=q, **filters)
    # The matching keys are cached per query (``procedure_search_ids``); only the page's rows are read.
    page = Paginator(ids, PAGE_SIZE).get_page(params.get("page"))
    rows = (
        ProcedureVersion.objects.filter(pk__in=list(page.object_list))
        .select_related("procedure", "procedure__sector")
        .only(*_LIST_FIELDS)
        .prefetch_related(
            Prefetch("procedure__agencies", queryset=Agency.objects.order_by("code").only("id", "code", "name"))
        )
        .in_bulk()
    )
    page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    query = params.copy()
    query.pop("page", None)
    context = {
        "page_obj": page,
        "q": q,
        "filters": filters,
        "querystring": query.urlencode(),
        "sectors": selectors.catalogue_cached("sectors", (), lambda: list(selectors.sector_list())),
        "agencies": selectors.catalogue_cached(
            "agencies", (), lambda: list(selectors.agency_list().filter(procedures__isnull=False).distinct())
        ),
        "levels": _level_choices(),
        "applicants": ApplicantType.choices,
        "truncated": len(params.get("q", "")) > SEARCH_MAX_LENGTH,
    }
    return render(request, "procedures/procedure_list.html", context)


@require_GET
@replica_reads()
def procedure_detail(request, code: str):
    version = selectors.procedure_in_force_by_code(code)
    if version is None:
        raise Http404(_("Không tìm thấy thủ tục."))
    preview = selectors.form_schema_build_form(version.form_schema, prefix="preview")
    return render(
        request,
        "procedures/procedure_detail.html",
        {"version": version, "procedure": version.procedure, "form_preview": preview},
    )


@require_GET
def document_template_download(request, code: str, pk: int):
    """Template forms of published versions are public; a draft's only to staff."""
    document = selectors.document_requirement_get(pk)
    if document is None or document.version.procedure.code != code or not document.template:
        raise Http404(_("Không tìm thấy mẫu đơn, tờ khai."))
    if not document.version.is_published and not request.user.is_staff:
        raise Http404(_("Không tìm thấy mẫu đơn, tờ khai."))
    return storage_file_response(
        request,
        document.template,
        filename=document.template_filename,
        content_type=mimetypes.guess_type(document.template_filename)[0] or "application/octet-stream",
    )
