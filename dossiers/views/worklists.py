"""Officer worklist pages (danh sách công việc): the counts, one list per page, the officer
search, the exports, the saved filters and the bulk actions.

``/officer/worklists/`` shows every list that concerns the officer with its count;
``/officer/worklists/<name>/`` lists the dossiers (or the consultations sent to the
officer's agencies), by due date, with a search, filters, a sort and 25/50/100 rows a page
(``dossiers.search``: the same the API answers with); ``?export=csv`` or ``xlsx`` downloads
the filtered list. ``/officer/search/`` (the header's search box) finds any dossier of the
officer's agencies. A selection of rows goes to ``/officer/worklists/-/bulk/``: the page
shows the selected dossiers and asks to confirm; confirmed, each dossier runs through the
actions table and the page shows a result per row. An unknown list is a 404; a list that
does not concern the officer and any non-officer get a 403; a bad filter is a 400 with the
reason beside the filter.
"""

import csv
import io
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook

from dossiers import bulk, search, selectors, services, worklists
from dossiers.views.common import csv_cell, errors_of
from portal import selectors as portal_selectors
from portal.constants import OfficerPermission

SEARCH_LIST = "search"  # the saved filters of the officer search


def _scope(request) -> worklists.OfficerScope:
    scope = worklists.officer_scope(user=request.user)
    if not scope.is_officer:
        raise PermissionDenied(_("Trang này chỉ dành cho cán bộ."))
    return scope


def _worklist(scope, name: str) -> worklists.Worklist:
    worklist = worklists.WORKLISTS.get(name)
    if worklist is None:
        raise Http404(_("Không có danh sách công việc này."))
    if not scope.applies(name):
        raise PermissionDenied(_("Danh sách này không thuộc phạm vi công việc của bạn."))
    return worklist


@login_required
def worklist_index(request):
    scope = _scope(request)
    counts = worklists.worklist_counts(user=request.user, scope=scope)
    entries = [{"worklist": worklists.WORKLISTS[name], "count": counts.get(name, 0)} for name in scope.names]
    return render(request, "dossiers/officer/worklist_index.html", {"entries": entries})


def _querystring(data, *drop: str) -> str:
    """The request's filters as a query string, without ``drop`` (the page, the export)."""
    return urlencode([(k, v) for k in data for v in data.getlist(k) if k not in drop and v != ""])


def _export(rows, *, fmt: str, name: str):
    header = [
        _("Mã hồ sơ"),
        _("Thủ tục"),
        _("Người nộp"),
        _("Số giấy tờ"),
        _("Điện thoại"),
        _("Kênh nộp"),
        _("Trạng thái"),
        _("Ngày tiếp nhận"),
        _("Hẹn trả"),
        _("Người xử lý"),
        _("Phòng xử lý"),
    ]

    def line(d) -> list:
        def when(value):
            return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""

        assignee = d.assigned_to.full_name or d.assigned_to.email if d.assigned_to else ""
        return [
            d.code,
            d.procedure_version.name,
            d.applicant_name,
            d.applicant_id_number,
            d.applicant_phone,
            d.get_channel_display(),
            d.get_state_display(),
            when(d.received_at),
            when(d.due_at),
            assignee,
            d.department.name if d.department else "",
        ]

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for d in rows:
            writer.writerow([csv_cell(v) for v in line(d)])
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="ho-so-{name}-{stamp}.csv"'
        return response
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("Hồ sơ")[:31])
    sheet.append(header)
    for d in rows:
        # openpyxl writes text cells as strings (never formulas) only when they do not start
        # with "="; the same neutralising as the CSV keeps both exports alike.
        sheet.append([csv_cell(v) for v in line(d)])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="ho-so-{name}-{stamp}.xlsx"'
    return response


def _list_context(request, scope, *, name: str | None) -> tuple[dict, int]:
    """The list page's context and status: the fast path of the plain worklist, or the search."""
    form = search.DossierSearchForm(request.GET, scope=scope)
    worklist = worklists.WORKLISTS.get(name) if name else None
    consultations = worklist is not None and worklist.kind == "consultation"
    context = {
        "form": form,
        "worklist": worklist,
        "list_name": name or SEARCH_LIST,
        "now": scope.now,
        "consultations": consultations,
        "querystring": _querystring(request.GET, "page", "export"),
        "filters": search.filter_choices(scope=scope) if not consultations else {},
        "saved_filters": selectors.saved_filters_for(user=request.user, list_name=name or SEARCH_LIST),
        "can_receive": bool(scope.agency_ids(OfficerPermission.RECEIVE)),
        "can_assign": bool(scope.agency_ids(OfficerPermission.ASSIGN)),
        "page_sizes": search.PAGE_SIZES,
    }
    if not form.is_valid():
        context.update(rows=[], page_obj=None, errors=form.error_list())
        return context, 400
    data = form.cleaned_data
    page_size = data.get("page_size") or search.DEFAULT_PAGE_SIZE
    number = search.page_number(request.GET.get("page"))
    context["page_size"] = page_size
    if name is not None and not form.filtering():
        rows = worklists.worklist_rows(scope=scope, name=name, page=request.GET.get("page"), page_size=page_size)
        page = Paginator(rows, page_size).get_page(request.GET.get("page"))
        context.update(rows=page.object_list, page_obj=page, offset=(page.number - 1) * page_size, counted=True)
        return context, 200
    if name is None and not data.get("q") and not form.filtering():
        context.update(rows=[], page_obj=None, offset=0, empty_search=True)
        return context, 200
    page = search.dossier_search_page(scope=scope, data=data, worklist=name, number=number, page_size=page_size)
    context.update(rows=page.rows, page_obj=page, offset=page.offset, counted=False)
    return context, 200


def render_list(request, scope, *, name: str | None, template: str):
    context, status = _list_context(request, scope, name=name)
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx") and status == 200 and not context["consultations"]:
        form = context["form"]
        rows = search.dossier_search_export(scope=scope, data=form.cleaned_data, worklist=name)
        return _export(rows, fmt=fmt, name=name or SEARCH_LIST)
    if fmt not in (None, "", "csv", "xlsx"):
        context["errors"] = {"export": [_("Định dạng xuất chỉ có thể là CSV hoặc Excel.")]}
        status = 400
    return render(request, template, context, status=status)


@login_required
@require_GET
def worklist_page(request, name: str):
    scope = _scope(request)
    _worklist(scope, name)
    return render_list(request, scope, name=name, template="dossiers/officer/worklist.html")


@login_required
@require_GET
def officer_search(request):
    """The header's search: any dossier of the agencies the officer serves."""
    scope = _scope(request)
    return render_list(request, scope, name=None, template="dossiers/officer/search.html")


@login_required
@require_GET
def worklist_next(request, name: str):
    """ "Next in my list" from a dossier opened from list ``name`` at position ``pos``."""
    scope = _scope(request)
    list_name = None if name == SEARCH_LIST else name
    if list_name is not None:
        _worklist(scope, list_name)
    form = search.DossierSearchForm(request.GET, scope=scope)
    try:
        position = max(0, min(int(request.GET.get("pos", "0")), search.MAX_PAGE * 100))
    except ValueError:
        position = 0
    back = reverse("dossiers:worklist", args=[name]) if list_name else reverse("dossiers:officer_search")
    if not form.is_valid():
        return HttpResponseRedirect(back)
    current = request.GET.get("current", "")[:48]
    code = search.dossier_next_in_list(
        scope=scope, data=form.cleaned_data, worklist=list_name, position=position, current=current
    )
    if code is None:
        messages.info(request, _("Đã hết hồ sơ trong danh sách."))
        return HttpResponseRedirect(back + "?" + _querystring(request.GET, "page", "pos", "current", "list"))
    query = _querystring(request.GET, "pos", "current", "list", "page")
    target = reverse("dossiers:officer_dossier", args=[code])
    return HttpResponseRedirect(f"{target}?list={name}&pos={position + 1}&{query}")


@login_required
def worklist_nav(request):
    """The menu's count badges, fetched after the page loaded when they were not cached."""
    scope = _scope(request)
    counts = worklists.worklist_counts(user=request.user, scope=scope)
    return render(request, "dossiers/officer/worklist_badges.html", {"counts": counts})


# --- saved filters ----------------------------------------------------------------------------


def _list_url(list_name: str) -> str:
    if list_name == SEARCH_LIST:
        return reverse("dossiers:officer_search")
    if list_name == "reception":
        return reverse("dossiers:reception_queue")
    return reverse("dossiers:worklist", args=[list_name])


@login_required
@require_POST
def saved_filter_save(request, name: str):
    scope = _scope(request)
    if name != SEARCH_LIST:
        _worklist(scope, name)
    query = request.POST.get("query", "")
    try:
        services.saved_filter_create(user=request.user, list_name=name, name=request.POST.get("name", ""), query=query)
    except ValidationError as error:
        for reasons in errors_of(error).values():
            for reason in reasons:
                messages.error(request, reason)
    else:
        messages.success(request, _("Đã lưu bộ lọc."))
    return HttpResponseRedirect(_list_url(name) + ("?" + query if query else ""))


@login_required
@require_POST
def saved_filter_remove(request, name: str, pk: int):
    _scope(request)
    if services.saved_filter_delete(user=request.user, filter_id=pk):
        messages.success(request, _("Đã xóa bộ lọc."))
    else:
        messages.error(request, _("Không tìm thấy bộ lọc này."))
    return HttpResponseRedirect(_list_url(name if name in worklists.WORKLISTS else SEARCH_LIST))


# --- bulk actions -----------------------------------------------------------------------------


def _specialists(dossiers) -> list:
    agency_ids = {d.receiving_agency_id for d in dossiers}
    return list(portal_selectors.users_with_permission_in(agency_ids=agency_ids, permission=OfficerPermission.PROCESS))


@login_required
@require_POST
def worklist_bulk(request):
    """Step 1 shows the selected dossiers and asks to confirm; step 2 (``confirm``) runs the
    action on each and shows a result per row. Slips: their receipts merged into one PDF."""
    _scope(request)
    action = request.POST.get("action", "")
    back = request.POST.get("back", "")
    if not back.startswith("/officer/") or "\x00" in back or "//" in back or "\\" in back:
        back = reverse("dossiers:worklists")
    codes = bulk.bulk_codes(request.POST.getlist("codes"))
    if action not in (*bulk.BULK_ACTIONS, "slips"):
        messages.error(request, _("Thao tác hàng loạt không hợp lệ."))
        return redirect(back)
    if not codes:
        messages.error(request, _("Hãy chọn ít nhất một hồ sơ."))
        return redirect(back)
    found = selectors.dossiers_for_officer_by_codes(user=request.user, codes=codes)
    context = {
        "action": action,
        "label": bulk.BULK_ACTIONS.get(action, _("In giấy tiếp nhận các hồ sơ đã chọn")),
        "codes": codes,
        "rows": [(code, found.get(code)) for code in codes],
        "back": back,
        "note": request.POST.get("note", ""),
    }
    if action == "assign":
        context["specialists"] = _specialists(found.values())
    if request.POST.get("confirm") != "1":
        return render(request, "dossiers/officer/bulk_confirm.html", context)
    if action == "slips":
        merged, results = bulk.bulk_slips_pdf(user=request.user, codes=codes)
        if request.POST.get("download") == "1" and merged:
            response = HttpResponse(merged, content_type="application/pdf")
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            response["Content-Disposition"] = f'attachment; filename="giay-tiep-nhan-{stamp}.pdf"'
            response["Cache-Control"] = "private, no-store"
            return response
        context["results"] = results
        context["printable"] = bool(merged)
        return render(request, "dossiers/officer/bulk_results.html", context)
    params = {"note": request.POST.get("note", "")}
    if action == "assign":
        assignee = request.POST.get("assignee", "")
        if not assignee.isdigit() or not any(str(s.pk) == assignee for s in context["specialists"]):
            context["errors"] = {"assignee": [_("Vui lòng chọn chuyên viên xử lý.")]}
            return render(request, "dossiers/officer/bulk_confirm.html", context, status=400)
        params["assignee"] = assignee
        context["assignee"] = assignee
    results = bulk.bulk_perform(user=request.user, action=action, codes=codes, params=params)
    worklists.worklist_counts_forget(user=request.user)
    context["results"] = results
    context["done"] = sum(1 for r in results if r.done)
    return render(request, "dossiers/officer/bulk_results.html", context)


urlpatterns = [
    path("officer/worklists/", worklist_index, name="worklists"),
    path("officer/worklists/-/nav/", worklist_nav, name="worklist_nav"),
    path("officer/worklists/-/bulk/", worklist_bulk, name="worklist_bulk"),
    path("officer/search/", officer_search, name="officer_search"),
    path("officer/worklists/<str:name>/", worklist_page, name="worklist"),
    path("officer/worklists/<str:name>/next/", worklist_next, name="worklist_next"),
    path("officer/worklists/<str:name>/filters/", saved_filter_save, name="saved_filter_save"),
    path("officer/worklists/<str:name>/filters/<int:pk>/delete/", saved_filter_remove, name="saved_filter_remove"),
]
