"""Officer worklist pages (danh sách công việc): the counts, and one list per page.

``/officer/worklists/`` shows every list that concerns the officer with its count;
``/officer/worklists/<name>/`` lists the dossiers (or the consultations sent to the
officer's agencies), 50 per page, by due date. The reads are ``dossiers.worklists``, the
same the API answers with. An unknown list is a 404; a list that does not concern the
officer (waiting for assignment for a specialist, say) and any non-officer get a 403.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from dossiers import worklists


def _scope(request) -> worklists.OfficerScope:
    scope = worklists.officer_scope(user=request.user)
    if not scope.is_officer:
        raise PermissionDenied(_("Trang này chỉ dành cho cán bộ."))
    return scope


@login_required
def worklist_index(request):
    scope = _scope(request)
    counts = worklists.worklist_counts(user=request.user, scope=scope)
    entries = [{"worklist": worklists.WORKLISTS[name], "count": counts.get(name, 0)} for name in scope.names]
    return render(request, "dossiers/officer/worklist_index.html", {"entries": entries})


@login_required
def worklist_page(request, name: str):
    worklist = worklists.WORKLISTS.get(name)
    if worklist is None:
        raise Http404(_("Không có danh sách công việc này."))
    scope = _scope(request)
    if not scope.applies(name):
        raise PermissionDenied(_("Danh sách này không thuộc phạm vi công việc của bạn."))
    rows = worklists.worklist_rows(scope=scope, name=name, page=request.GET.get("page"), page_size=worklists.PAGE_SIZE)
    page = Paginator(rows, worklists.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "worklist": worklist,
        "page_obj": page,
        "rows": page.object_list,
        "now": scope.now,
        "consultations": worklist.kind == "consultation",
    }
    return render(request, "dossiers/officer/worklist.html", context)


@login_required
def worklist_nav(request):
    """The menu's count badges, fetched after the page loaded when they were not cached."""
    scope = _scope(request)
    counts = worklists.worklist_counts(user=request.user, scope=scope)
    return render(request, "dossiers/officer/worklist_badges.html", {"counts": counts})


urlpatterns = [
    path("officer/worklists/", worklist_index, name="worklists"),
    path("officer/worklists/-/nav/", worklist_nav, name="worklist_nav"),
    path("officer/worklists/<str:name>/", worklist_page, name="worklist"),
]
