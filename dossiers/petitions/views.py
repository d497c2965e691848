"""Pages of petitions (phản ánh, kiến nghị): the filing form (signed in or anonymous,
rate-limited), the petitioner's list and page, the officers' worklist and actions, and the
public list and detail of the answered petitions whose petitioner agreed (no personal data).

Each action is a POST that calls one service and redirects (POST-redirect-GET); a refused
input comes back with status 400 and the reasons, nothing written.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dossiers.petitions import selectors, services
from dossiers.petitions.constants import CONTENT_MAX, OPEN_STATES, TITLE_MAX, PetitionKind
from dossiers.petitions.throttle import RATE_LIMIT_MESSAGE, petition_rate_limited
from dossiers.views.common import errors_of

PAGE_SIZE = 20


class PetitionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Loại"), choices=PetitionKind.choices, widget=forms.RadioSelect)
    procedure_code = forms.CharField(
        label=gettext_lazy("Mã thủ tục hành chính"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("Ví dụ: 1.001612 — xem trong danh mục thủ tục."),
    )
    dossier_code = forms.CharField(
        label=gettext_lazy("Mã hồ sơ của bạn (không bắt buộc)"), max_length=48, required=False
    )
    title = forms.CharField(label=gettext_lazy("Tiêu đề"), max_length=TITLE_MAX)
    content = forms.CharField(
        label=gettext_lazy("Nội dung"), max_length=CONTENT_MAX, widget=forms.Textarea(attrs={"rows": 6})
    )
    # The sender's own contact details: the browser may fill them in (HTML autofill tokens).
    contact_name = forms.CharField(
        label=gettext_lazy("Họ và tên"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_phone = forms.CharField(
        label=gettext_lazy("Số điện thoại"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel", "inputmode": "tel"}),
    )
    contact_email = forms.CharField(
        label=gettext_lazy("Thư điện tử"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "email", "type": "email"}),
    )
    consent_publish = forms.BooleanField(
        label=gettext_lazy(
            "Tôi đồng ý công khai nội dung phản ánh, kiến nghị và câu trả lời (không kèm thông tin cá nhân)."
        ),
        required=False,
    )

    def __init__(self, *args, signed_in: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if signed_in:
            for name in ("contact_name", "contact_phone", "contact_email"):
                del self.fields[name]
        else:
            del self.fields["dossier_code"]


@require_http_methods(["GET", "POST"])
def petition_new(request):
    signed_in = request.user.is_authenticated
    initial = {key: request.GET.get(key, "")[:48] for key in ("procedure_code", "dossier_code")}
    if request.method == "GET":
        form = PetitionForm(initial=initial, signed_in=signed_in)
        return render(request, "petitions/new.html", {"form": form})
    form = PetitionForm(request.POST, signed_in=signed_in)
    context = {"form": form}
    if not form.is_valid():
        return render(request, "petitions/new.html", context, status=400)
    limited, left = petition_rate_limited(request)
    if limited:
        response = render(request, "petitions/new.html", {**context, "error": RATE_LIMIT_MESSAGE}, status=429)
        response["Retry-After"] = str(left)
        return response
    try:
        petition = services.petition_file(user=request.user, **form.cleaned_data)
    except ValidationError as error:
        for field, texts in errors_of(error).items():
            for text in texts:
                form.add_error(field if field in form.fields else None, text)
        return render(request, "petitions/new.html", context, status=400)
    return render(request, "petitions/filed.html", {"petition": petition}, status=201)


@login_required
@require_GET
def my_petitions(request):
    rows = Paginator(selectors.petitions_of_user(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "petitions/mine.html", {"page": rows})


def _visible(request, code: str):
    petition = selectors.petition_get_for_user(user=request.user, code=code)
    if petition is None:
        raise Http404
    return petition


@login_required
@require_http_methods(["GET", "POST"])
def petition_detail(request, code: str):
    """The petitioner's page (with the reply to a request for information) or an officer's."""
    petition = _visible(request, code)
    status = 200
    errors = {}
    if request.method == "POST":
        try:
            services.petition_provide_info(user=request.user, code=petition.code, reply=request.POST.get("reply", ""))
        except PermissionDenied:
            raise
        except ValidationError as error:
            errors = errors_of(error)
            status = 409 if getattr(error, "code", None) == "invalid_state" else 400
        else:
            messages.success(request, _("Đã gửi thông tin bổ sung."))
            return redirect("petitions:detail", code=petition.code)
    is_officer = selectors.petition_viewer_is_officer(user=request.user, petition=petition)
    context = {
        "petition": petition,
        "events": selectors.petition_events(petition=petition),
        "rules": selectors.petition_rules_of(petition),
        "is_owner": petition.petitioner_id == request.user.pk,
        "is_officer": is_officer,
        "can_act": is_officer and services.officer_can_act(user=request.user, petition=petition),
        "open": petition.state in OPEN_STATES,
        "overdue": petition.state in OPEN_STATES and petition.answer_due_at < timezone.now(),
        "errors": errors,
    }
    return render(request, "petitions/detail.html", context, status=status)


@login_required
@require_POST
def petition_act(request, code: str):
    petition = _visible(request, code)
    try:
        services.petition_officer_act(
            user=request.user,
            code=petition.code,
            action=request.POST.get("action", ""),
            text=request.POST.get("text", ""),
        )
    except ValidationError as error:
        state = getattr(error, "code", None) == "invalid_state"
        context = {
            "petition": petition,
            "events": selectors.petition_events(petition=petition),
            "rules": selectors.petition_rules_of(petition),
            "is_officer": True,
            "can_act": services.officer_can_act(user=request.user, petition=petition),
            "open": petition.state in OPEN_STATES,
            "errors": errors_of(error),
        }
        return render(request, "petitions/detail.html", context, status=409 if state else 400)
    messages.success(request, _("Đã cập nhật phản ánh, kiến nghị %(code)s.") % {"code": petition.code})
    return redirect("petitions:officer_list")


@login_required
@require_GET
def officer_list(request):
    if not selectors.officer_agency_ids(user=request.user):
        raise PermissionDenied(_("Trang này chỉ dành cho cán bộ."))
    name = request.GET.get("list", "open")
    if name not in selectors.WORKLIST_FILTERS:
        return render(
            request,
            "petitions/officer_list.html",
            {"error": _("Danh sách không hợp lệ."), "filters": selectors.WORKLIST_FILTERS, "name": "open"},
            status=400,
        )
    now = timezone.now()
    page = Paginator(selectors.petition_worklist(user=request.user, name=name, now=now), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "petitions/officer_list.html",
        {"page": page, "name": name, "now": now, "filters": selectors.WORKLIST_FILTERS, "open_states": OPEN_STATES},
    )


@require_GET
def public_list(request):
    page = Paginator(selectors.petitions_published(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "petitions/public_list.html", {"page": page})


@require_GET
def public_detail(request, code: str):
    petition = selectors.petition_published_get(code=code)
    if petition is None:
        raise Http404
    return render(request, "petitions/public_detail.html", {"petition": petition})


app_name = "petitions"
urlpatterns = [
    path("petitions/new/", petition_new, name="new"),
    path("petitions/", my_petitions, name="mine"),
    path("petitions/<str:code>/", petition_detail, name="detail"),
    path("officer/petitions/", officer_list, name="officer_list"),
    path("officer/petitions/<str:code>/", petition_detail, name="officer_detail"),
    path("officer/petitions/<str:code>/act/", petition_act, name="act"),
    path("phan-anh-kien-nghi/", public_list, name="public_list"),
    path("phan-anh-kien-nghi/<str:code>/", public_detail, name="public_detail"),
]
