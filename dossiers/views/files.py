"""Permission-checked downloads of private files, and the applicant's document store (kho giấy tờ).

Files are never served from a public URL. Each download checks who asks; anyone not
allowed gets 404, exactly as for an id that does not exist, so ids reveal nothing. A download
works with the session or with a bearer token (``dossiers:read``; `portal.api.authentication.
session_or_bearer`, the one door for every file url the API gives); an officer's file needs a
session that passed the second factor (the middleware) or a token with the ``officer`` scope.
A document's preview (its state, then its page images, ``dossiers.services.previews``) has the
same doors and the same permission as its download.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from dossiers import selectors, services
from dossiers.constants import PreviewState
from dossiers.models import Slip, StoredDocument
from dossiers.services.slips import slip_awaiting_seal, slip_download_name
from portal.api.authentication import session_or_bearer
from portal.storage import StorageName, storage_file_response

PAGE_SIZE = 20
SLIP_RETRY_AFTER_SECONDS = 10


def _file_response(request, field, *, name: str, content_type: str):
    return storage_file_response(
        request, field, filename=services.sanitise_filename(name, mime_type=content_type), content_type=content_type
    )


@session_or_bearer
@require_GET
def stored_document_download(request, pk: int):
    stored = _downloadable(request, pk)
    return _file_response(request, stored.file, name=stored.name, content_type=stored.mime_type)


def _downloadable(request, pk: int) -> StoredDocument:
    stored = StoredDocument.objects.filter(pk=pk).first()
    if (
        stored is None
        or not stored.file
        or not selectors.stored_document_can_download(user=request.user, stored=stored)
    ):
        raise Http404
    return stored


def preview_status(*, stored: StoredDocument, preview) -> dict:
    """What a page (or an API client) needs to show a document's preview: its state and the
    URLs of its page images once ready."""
    state = preview.state if preview is not None else ""
    pages = preview.pages if preview is not None and state == PreviewState.READY else []
    return {
        "state": state,
        "state_label": str(PreviewState(state).label) if state else "",
        "page_count": preview.page_count if preview is not None else 0,
        "pages": [
            reverse("dossiers:stored_document_preview_page", args=[stored.pk, number])
            for number in range(1, len(pages) + 1)
        ],
    }


@session_or_bearer
@require_GET
def stored_document_preview(request, pk: int):
    """A document's preview: ``{"state", "state_label", "page_count", "pages": [urls]}``; asked
    for (rendered in the pdf queue) when it has none yet. 404 for a file that cannot be previewed."""
    stored = _downloadable(request, pk)
    previews = services.document_previews_request(stored_documents=[stored])
    if stored.pk not in previews:
        raise Http404
    response = JsonResponse(preview_status(stored=stored, preview=previews[stored.pk]))
    response["Cache-Control"] = "private, no-store"
    return response


@session_or_bearer
@require_GET
def stored_document_preview_page(request, pk: int, number: int):
    """One page image of a document's preview, shown in the page (same permission as the download)."""
    stored = _downloadable(request, pk)
    name = services.document_preview_page(stored=stored, number=number)
    if name is None:
        raise Http404
    return storage_file_response(
        request, StorageName(name), filename=f"page-{number}.png", content_type="image/png", inline=True
    )


@session_or_bearer
@require_GET
def slip_download(request, pk: int):
    slip = Slip.objects.select_related("dossier").filter(pk=pk).first()
    if slip is None or not slip.file or not selectors.slip_can_view(user=request.user, slip=slip):
        raise Http404
    if slip_awaiting_seal(user=request.user, slip=slip):
        # Rendered, not yet sealed: the applicant gets the signed copy a few seconds later.
        response = render(request, "dossiers/slip_signing.html", {"slip": slip}, status=409)
        response["Retry-After"] = str(SLIP_RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "private, no-store"
        return response
    return _file_response(request, slip.file, name=slip_download_name(slip), content_type="application/pdf")


@login_required
@require_GET
def document_store(request):
    """The user's document store: earlier uploads and electronic results, its organisations' too."""
    documents = selectors.stored_documents_for_user(user=request.user).select_related("organisation")
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "dossiers/filing/document_store.html", {"page_obj": page})


urlpatterns = [
    path("files/documents/<int:pk>/", stored_document_download, name="stored_document_download"),
    path("files/documents/<int:pk>/preview/", stored_document_preview, name="stored_document_preview"),
    path(
        "files/documents/<int:pk>/preview/<int:number>.png",
        stored_document_preview_page,
        name="stored_document_preview_page",
    ),
    path("files/slips/<int:pk>/", slip_download, name="slip_download"),
    path("dossiers/store/", document_store, name="document_store"),
]
