"""The applicant's pages: the filing wizard, the confirmation, “Hồ sơ của tôi”, the dossier page."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dossiers import selectors, services
from dossiers.constants import DossierState, SlipKind
from dossiers.core.pins import pin_check
from dossiers.forms import DocumentsForm
from dossiers.models import Dossier, DossierEvent, Slip
from portal.constants import OfficerRole
from procedures import selectors as procedure_selectors
from tests.dossiers.factories import DossierFactory, OnlineVersionFactory, StoredDocumentFactory, make_pdf
from tests.factories import (
    AgencyFactory,
    CitizenProfileFactory,
    OfficerMembershipFactory,
    OrganisationMembershipFactory,
    UserFactory,
    with_totp,
)
from tests.procedures.conftest import demo_agencies, demo_catalogue  # noqa: F401 - fixtures
from tests.procedures.factories import DocumentRequirementFactory

pytestmark = pytest.mark.django_db

KHAI_SINH = "1.001193"
CHILD = {
    "data-child_name": "Nguyễn Văn Bé",
    "data-child_sex": "male",
    "data-child_birth_date": "2026-11-01",
    "data-birth_place": "Bệnh viện Đa khoa Tỉnh Demo",
    "data-ethnicity": "Kinh",
    "data-mother_name": "Trần Thị Mẹ",
    "data-relationship": "father",
    "data-requester_address": "Số 1 đường Trung Tâm, Phường Trung Tâm",
}


@pytest.fixture
def profile(db):
    return CitizenProfileFactory(full_name="Nguyễn Văn Cha", phone="0912345678", current_address="")


@pytest.fixture
def citizen_client(client, profile):
    client.force_login(profile.user)
    return client


def _form_post(client, draft, extra=None, action="next"):
    data = {
        "data-requester_name": "Nguyễn Văn Cha",
        "data-requester_id": "001090000001",
        "data-requester_phone": "0912345678",
        **CHILD,
        "action": action,
        **(extra or {}),
    }
    # The birth registration's form is asked a page at a time: the same answers go to each page
    # in turn (each page reads its own fields), until a page refuses or the step is done.
    url = reverse("dossiers:draft_form", args=[draft.pk])
    while True:
        response = client.post(url, data)
        if action != "next" or response.status_code != 302 or "/form/?page=" not in response["Location"]:
            return response
        url = response["Location"]


def _upload_all(client, draft):
    files = {}
    for requirement in draft.procedure_version.documents.filter(required=True, from_form=False):
        files[f"documents[{requirement.pk}]"] = _file(make_pdf(), f"giay-to-{requirement.pk}.pdf")
    return client.post(reverse("dossiers:draft_documents", args=[draft.pk]), {**files, "action": "next"})


def _file(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _start(client) -> Dossier:
    response = client.post(reverse("dossiers:new", args=[KHAI_SINH]), {"on_behalf_of": "", "agency": "000.01.21.H99"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Dossier.objects.latest("pk")


# --- the wizard -------------------------------------------------------------------------------


def test_wizard_needs_a_signed_in_user(client, demo_catalogue):  # noqa: F811
    response = client.get(f"/dossiers/new/{KHAI_SINH}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_unknown_procedure_is_404(citizen_client):
    assert citizen_client.get("/dossiers/new/9.999999/").status_code == 404


def test_procedure_not_online_says_so(citizen_client):
    version = OnlineVersionFactory(channel_online=False)
    response = citizen_client.get(f"/dossiers/new/{version.procedure.code}/")
    assert response.status_code == 200
    assert "không tiếp nhận hồ sơ trực tuyến" in response.content.decode()
    assert citizen_client.post(f"/dossiers/new/{version.procedure.code}/", {}).status_code == 200
    assert not Dossier.objects.exists()


def test_organisation_only_procedure_without_organisation(citizen_client):
    version = OnlineVersionFactory(for_citizens=False, for_organisations=True)
    response = citizen_client.get(f"/dossiers/new/{version.procedure.code}/")
    assert "chỉ dành cho tổ chức" in response.content.decode()
    citizen_client.post(f"/dossiers/new/{version.procedure.code}/", {"on_behalf_of": ""})
    assert not Dossier.objects.exists()


def test_applicant_step_offers_my_organisations_only_when_allowed(citizen_client, profile):
    membership = OrganisationMembershipFactory(user=profile.user)
    other = OrganisationMembershipFactory()
    citizen_only = OnlineVersionFactory()
    # Citizens only, one agency: nothing to choose, the draft goes straight to the form.
    response = citizen_client.get(f"/dossiers/new/{citizen_only.procedure.code}/")
    assert response.status_code == 302
    assert Dossier.objects.get().organisation is None
    Dossier.objects.all().delete()
    both = OnlineVersionFactory(for_organisations=True)
    page = citizen_client.get(f"/dossiers/new/{both.procedure.code}/").content.decode()
    assert membership.organisation.name in page and other.organisation.name not in page
    # Someone else's organisation, forged into the form, is refused.
    response = citizen_client.post(
        f"/dossiers/new/{both.procedure.code}/", {"on_behalf_of": str(other.organisation_id)}
    )
    assert response.status_code == 400
    assert not Dossier.objects.exists()
    response = citizen_client.post(
        f"/dossiers/new/{both.procedure.code}/", {"on_behalf_of": str(membership.organisation_id)}
    )
    assert response.status_code == 302
    assert Dossier.objects.get().organisation == membership.organisation


def test_the_receiving_agency_can_be_chosen(citizen_client, demo_catalogue):  # noqa: F811
    page = citizen_client.get(f"/dossiers/new/{KHAI_SINH}/").content.decode()
    assert "Ủy ban nhân dân Xã Bình An" in page
    citizen_client.post(f"/dossiers/new/{KHAI_SINH}/", {"on_behalf_of": "", "agency": "000.02.21.H99"})
    assert Dossier.objects.get().receiving_agency.code == "000.02.21.H99"
    response = citizen_client.post(f"/dossiers/new/{KHAI_SINH}/", {"on_behalf_of": "", "agency": "000.00.15.H99"})
    assert response.status_code == 400
    assert Dossier.objects.count() == 1


def test_form_is_prefilled_from_the_profile_and_can_be_corrected(citizen_client, profile, demo_catalogue):  # noqa: F811
    draft = _start(citizen_client)
    page = citizen_client.get(reverse("dossiers:draft_form", args=[draft.pk])).content.decode()
    assert 'value="Nguyễn Văn Cha"' in page
    assert f'value="{profile.citizen_id}"' in page
    response = _form_post(citizen_client, draft, {"data-requester_name": "Nguyễn Văn Sửa"})
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:draft_documents", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.form_data["requester_name"] == "Nguyễn Văn Sửa"
    assert draft.form_data["child_birth_date"] == "2026-11-01"


def test_invalid_form_is_saved_as_a_draft_and_explained(citizen_client, demo_catalogue):  # noqa: F811
    draft = _start(citizen_client)
    # Page 1 of the birth registration's form (the applicant) with a wrong ID: refused there.
    response = _form_post(citizen_client, draft, {"data-requester_id": "12"})
    assert response.status_code == 400 and "Trang 1/4 của tờ khai" in response.content.decode()
    summary = response.content.decode()
    assert 'href="#id_data-requester_id"' in summary[summary.index('id="error-summary"') :]
    # Page 2 (the child): each page checked on its own, with its own error summary.
    url = reverse("dossiers:draft_form", args=[draft.pk]) + "?page=2"
    response = citizen_client.post(
        url, {**CHILD, "data-child_name": "", "data-child_birth_date": "2099-01-01", "action": "next"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    # The error summary (issue 19): "Lỗi:" in the title, a link to each field, what to do.
    assert "<title>Lỗi: Tờ khai" in page
    summary = page[page.index('id="error-summary"') : page.index("</div>", page.index('id="error-summary"'))]
    assert '<a href="#id_data-child_name">Nhập họ, chữ đệm, tên của trẻ.</a>' in summary
    assert 'href="#id_data-child_birth_date"' in summary and 'href="#id_data-requester_id"' not in summary
    assert "Trường này là bắt buộc" not in page
    assert "Ngày, tháng, năm sinh không được sau hôm nay." in page
    draft.refresh_from_db()
    assert draft.form_data["requester_id"] == "12"  # kept as typed, to be corrected later
    assert "child_name" not in draft.form_data


def test_save_draft_and_resume_from_my_dossiers(citizen_client, demo_catalogue):  # noqa: F811
    draft = _start(citizen_client)
    url = reverse("dossiers:draft_form", args=[draft.pk]) + "?page=2"
    response = citizen_client.post(url, {**CHILD, "data-child_name": "Bé Na", "action": "save"})
    assert response.status_code == 302 and response["Location"] == url
    page = citizen_client.get("/dossiers/").content.decode()
    assert "Tiếp tục khai" in page and reverse("dossiers:draft_form", args=[draft.pk]) in page
    page = citizen_client.get(url).content.decode()
    assert 'value="Bé Na"' in page


def test_documents_step_checks_content_and_requires_every_required_component(
    citizen_client,
    demo_catalogue,  # noqa: F811
):
    draft = _start(citizen_client)
    _form_post(citizen_client, draft)
    # The declaration is the e-form (issue 19): only the birth paper is asked for.
    to_khai, chung_sinh = draft.procedure_version.documents.filter(required=True).order_by("order", "pk")
    assert to_khai.from_form and not chung_sinh.from_form
    url = reverse("dossiers:draft_documents", args=[draft.pk])
    page = citizen_client.get(url).content.decode()
    assert to_khai.name in page and chung_sinh.name in page
    assert f'name="documents[{to_khai.pk}]"' not in page
    # A text file named .pdf, for a component accepting PDF, JPEG or PNG only: refused by content.
    response = citizen_client.post(
        url,
        {
            f"documents[{chung_sinh.pk}]": _file(b"Chi la van ban, khong phai giay to.\n" * 20, "giay-chung-sinh.pdf"),
            "action": "next",
        },
    )
    assert response.status_code == 400
    assert not draft.documents.exists()
    # The error summary at the top, as on the form step: a link to the document's own input,
    # naming the document; the input is tied to its message (issue 19).
    html = response.content.decode()
    summary = html[html.index('id="error-summary"') : html.index("</div>", html.index('id="error-summary"'))]
    input_id = re.search(rf'name="documents\[{chung_sinh.pk}\]" id="([^"]+)"', html)[1]
    assert f'<a href="#{input_id}">{chung_sinh.name}: ' in summary
    assert html.index('id="error-summary"') < html.index(f'id="{input_id}"')
    assert f'aria-describedby="err-{chung_sinh.pk}"' in html
    # Nothing uploaded: cannot go on, and the message names the missing paper, not the declaration.
    response = citizen_client.post(url, {"action": "next"})
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        f"Thiếu giấy tờ bắt buộc: {chung_sinh.name}" in html and f"Thiếu giấy tờ bắt buộc: {to_khai.name}" not in html
    )
    assert f'<a href="#{input_id}">Thiếu giấy tờ bắt buộc: {chung_sinh.name}.</a>' in html
    response = citizen_client.post(url, {f"documents[{chung_sinh.pk}]": _file(make_pdf(), "cs.pdf"), "action": "next"})
    assert response.status_code == 302 and response["Location"] == reverse("dossiers:draft_review", args=[draft.pk])
    assert draft.documents.get().stored.name == "cs.pdf"


def test_documents_step_refuses_a_too_large_file_before_reading_it(citizen_client, demo_catalogue):  # noqa: F811
    draft = _start(citizen_client)
    paper = draft.procedure_version.documents.filter(required=True, from_form=False).order_by("order", "pk").first()
    big = _file(b"%PDF-1.4\n" + b"0" * (paper.max_size + 1), "lon.pdf")
    response = citizen_client.post(
        reverse("dossiers:draft_documents", args=[draft.pk]), {f"documents[{paper.pk}]": big, "action": "save"}
    )
    assert response.status_code == 400
    assert "vượt quá giới hạn" in response.content.decode()


def test_documents_from_the_store_and_removal(citizen_client, profile, demo_catalogue):  # noqa: F811
    draft = _start(citizen_client)
    stored = StoredDocumentFactory(owner=profile.user, title="Giấy chứng sinh cũ")
    foreign = StoredDocumentFactory(title="Của người khác")
    chung_sinh = draft.procedure_version.documents.filter(required=True).order_by("order", "pk")[1]
    url = reverse("dossiers:draft_documents", args=[draft.pk])
    page = citizen_client.get(url).content.decode()
    assert "Giấy chứng sinh cũ" in page and "Của người khác" not in page
    citizen_client.post(url, {f"store[{chung_sinh.pk}]": str(foreign.pk), "action": "save"})
    assert not draft.documents.exists()
    citizen_client.post(url, {f"store[{chung_sinh.pk}]": str(stored.pk), "action": "save"})
    attached = draft.documents.get()
    assert attached.stored == stored
    citizen_client.post(url, {"remove": str(attached.pk)})
    assert not draft.documents.filter(superseded_at__isnull=True).exists()


def _ready_for_review(client) -> Dossier:
    draft = _start(client)
    assert _form_post(client, draft).status_code == 302
    assert _upload_all(client, draft).status_code == 302
    return draft


def test_review_needs_the_declaration(citizen_client, demo_catalogue):  # noqa: F811
    draft = _ready_for_review(citizen_client)
    url = reverse("dossiers:draft_review", args=[draft.pk])
    page = citizen_client.get(url).content.decode()
    assert "Nguyễn Văn Bé" in page and "Nam" in page and "01/11/2026" in page
    response = citizen_client.post(url, {})
    assert response.status_code == 400
    assert "cam đoan" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == DossierState.DRAFT


def test_submit_shows_code_and_pin_once_and_never_files_twice(
    citizen_client,
    demo_catalogue,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    draft = _ready_for_review(citizen_client)
    url = reverse("dossiers:draft_review", args=[draft.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = citizen_client.post(url, {"declaration": "on"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert re.fullmatch(r"000\.01\.21\.H99-\d{6}-0001", draft.code)
    assert response["Location"] == reverse("dossiers:submitted", args=[draft.code])
    # A second click: nothing new, same confirmation.
    again = citizen_client.post(url, {"declaration": "on"})
    assert again.status_code == 302 and again["Location"] == response["Location"]
    assert Dossier.objects.count() == 1
    assert DossierEvent.objects.filter(dossier=draft).count() == 1

    page = citizen_client.get(response["Location"])
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    html = page.content.decode()
    pin = re.search(r'id="tracking-pin">(\d{8})<', html).group(1)
    assert pin_check(pin, draft.tracking_pin_hash)
    assert draft.code in html
    assert pin not in response["Location"]
    slip = Slip.objects.get(dossier=draft, kind=SlipKind.ACKNOWLEDGEMENT)
    assert reverse("dossiers:slip_download", args=[slip.pk]) in html
    # What happens next, with the appointment to expect (issue 19).
    expected = timezone.localtime(selectors.dossier_expected_due(dossier=draft))
    assert f'id="expected-due">{expected:%H:%M %d/%m/%Y}<' in html
    assert 'id="what-next"' in html and "mã PIN" in html
    assert expected > timezone.localtime(draft.submitted_at)
    # Shown once: a refresh no longer has it.
    html = citizen_client.get(response["Location"]).content.decode()
    assert pin not in html and 'id="pin-shown"' in html
    # The wizard's pages now lead to the dossier page.
    follow = citizen_client.get(reverse("dossiers:draft_form", args=[draft.pk]))
    assert follow["Location"] == reverse("dossiers:detail", args=[draft.code])


def test_wizard_pages_of_someone_elses_draft_are_404(client, citizen):
    draft = DossierFactory(draft=True)
    client.force_login(citizen)
    for name in ("draft_form", "draft_documents", "draft_review"):
        assert client.get(reverse(f"dossiers:{name}", args=[draft.pk])).status_code == 404
        assert client.post(reverse(f"dossiers:{name}", args=[draft.pk]), {"declaration": "on"}).status_code == 404
    draft.refresh_from_db()
    assert draft.state == DossierState.DRAFT


def test_confirmation_of_someone_elses_dossier_is_404(client, citizen):
    dossier = DossierFactory()
    client.force_login(citizen)
    assert client.get(reverse("dossiers:submitted", args=[dossier.code])).status_code == 404


# --- My dossiers ------------------------------------------------------------------------------


def test_list_shows_mine_and_my_organisations_only(client, citizen):
    membership = OrganisationMembershipFactory(user=citizen)
    mine = DossierFactory(applicant=citizen)
    org = DossierFactory(organisation=membership.organisation)
    others = DossierFactory()
    colleague_draft = DossierFactory(draft=True, organisation=membership.organisation)
    client.force_login(citizen)
    page = client.get("/dossiers/").content.decode()
    assert mine.code in page and org.code in page
    assert others.code not in page
    assert reverse("dossiers:draft_form", args=[colleague_draft.pk]) not in page


@pytest.mark.parametrize(
    ("trait", "label", "link"),
    [
        ("supplement_requested", "Bổ sung hồ sơ", "/supplement/"),
        ("returned", "Đánh giá", "/rate/"),
        ("payment_requested", "Thực hiện nghĩa vụ tài chính", "/#dossier-fees"),
        ("processing", None, None),
    ],
)
def test_list_shows_the_action_expected(client, citizen, trait, label, link):
    dossier = DossierFactory(applicant=citizen, **{trait: True})
    client.force_login(citizen)
    page = client.get("/dossiers/").content.decode()
    if label is None:
        assert "Không cần thao tác" in page
    else:
        assert f'href="/dossiers/{dossier.code}{link}">{label}</a>' in page


def test_list_says_the_status_in_words_without_the_national_code(client, citizen):
    """The citizen's list reads "Yêu cầu bổ sung" style words, never a bare national code (the
    codes stay on the officers' pages); the status filter's options too (issue 19)."""
    dossier = DossierFactory(applicant=citizen, supplement_requested=True)
    assert dossier.status_code == 5
    client.force_login(citizen)
    page = client.get("/dossiers/").content.decode()
    row = page[page.index(dossier.code) :]
    row = row[: row.index("</tr>")]
    assert dossier.get_state_display() in row
    assert 'class="badge' not in row and ">5<" not in row
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', page)
    assert options and all(not label.strip().startswith(f"{value}.") for value, label in options)


def test_rated_dossier_asks_nothing_more(client, citizen):
    DossierFactory(applicant=citizen, returned=True, rating="satisfied", rated_at=timezone.now())
    client.force_login(citizen)
    assert "Đánh giá</a>" not in client.get("/dossiers/").content.decode()


def test_list_filters(client, citizen):
    supplement = DossierFactory(applicant=citizen, supplement_requested=True)
    old = DossierFactory(applicant=citizen, submitted_at=timezone.now() - dt.timedelta(days=40))
    draft = DossierFactory(applicant=citizen, draft=True)
    client.force_login(citizen)

    def codes(query):
        response = client.get("/dossiers/", query)
        assert response.status_code == 200
        return {d["dossier"].pk for d in response.context["rows"]}

    assert codes({"status": "5"}) == {supplement.pk}
    assert codes({"status": "draft"}) == {draft.pk}
    assert codes({"procedure": old.procedure.code}) == {old.pk}
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    assert codes({"submitted_from": since}) == {supplement.pk}
    assert codes({"submitted_to": since}) == {old.pk}
    # Hand-edited, invalid filters are dropped, never a 500.
    assert codes({"status": "99", "submitted_from": "hôm qua", "procedure": "<script>"}) == {
        supplement.pk,
        old.pk,
        draft.pk,
    }


def test_list_query_count_does_not_grow_with_rows(client, citizen, django_assert_max_num_queries):
    membership = OrganisationMembershipFactory(user=citizen)
    version = OnlineVersionFactory()
    DossierFactory.create_batch(2, applicant=citizen, procedure_version=version)
    client.force_login(citizen)
    with django_assert_max_num_queries(9) as small:
        client.get("/dossiers/")
    DossierFactory.create_batch(9, applicant=citizen, returned=True)
    DossierFactory.create_batch(9, organisation=membership.organisation, supplement_requested=True)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/dossiers/")
    assert len(response.context["rows"]) == 20


def test_list_is_paginated(client, citizen):
    DossierFactory.create_batch(23, applicant=citizen)
    client.force_login(citizen)
    assert len(client.get("/dossiers/").context["rows"]) == 20
    assert len(client.get("/dossiers/?page=2").context["rows"]) == 3
    assert len(client.get("/dossiers/?page=abc").context["rows"]) == 20


# --- the dossier page -------------------------------------------------------------------------


def _submitted(user, organisation=None) -> Dossier:
    version = OnlineVersionFactory(for_organisations=organisation is not None)
    draft = services.dossier_draft_create(
        user=user, procedure_code=version.procedure.code, organisation_id=getattr(organisation, "pk", None)
    )
    services.dossier_draft_update(user=user, dossier=draft, data={"full_name": "Phạm Văn Đạt"})
    services.dossier_document_upload(
        user=user, dossier=draft, requirement_id=version.documents.get().pk, name="to khai.pdf", content=make_pdf()
    )
    dossier, _pin = services.dossier_submit(user=user, dossier_id=draft.pk, declaration=True)
    return dossier


def test_dossier_page_shows_timeline_documents_and_what_is_expected(client, citizen):
    dossier = _submitted(citizen)
    client.force_login(citizen)
    page = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert "Nộp hồ sơ trực tuyến" in page  # the submit event, in Vietnamese
    assert timezone.localtime(dossier.submitted_at).strftime("%H:%M %d/%m/%Y") in page
    assert "to_khai.pdf" in page
    assert "Hiện chưa cần bạn thao tác" in page
    assert f"/dossiers/{dossier.code}/withdraw/" in page


def test_dossier_page_permission_matrix(client):
    owner = UserFactory()
    organisation_member = OrganisationMembershipFactory()
    org_dossier = _submitted(organisation_member.user, organisation=organisation_member.organisation)
    colleague = OrganisationMembershipFactory(organisation=organisation_member.organisation).user
    removed = OrganisationMembershipFactory(organisation=organisation_member.organisation)
    dossier = _submitted(owner)
    officer = with_totp(OfficerMembershipFactory(agency=dossier.receiving_agency, role=OfficerRole.RECEPTION).user)
    other_officer = with_totp(OfficerMembershipFactory(agency=AgencyFactory(), role=OfficerRole.RECEPTION).user)
    removed_user = removed.user
    removed.delete()
    cases = [
        (owner, dossier, 200),
        (UserFactory(), dossier, 404),
        (officer, dossier, 200),
        (other_officer, dossier, 404),
        (organisation_member.user, org_dossier, 200),
        (colleague, org_dossier, 200),
        (removed_user, org_dossier, 404),
        (owner, org_dossier, 404),
    ]
    for user, target, expected in cases:
        client.force_login(user)
        assert client.get(f"/dossiers/{target.code}/").status_code == expected, (user, target)
    client.logout()
    assert client.get(f"/dossiers/{dossier.code}/")["Location"].startswith("/accounts/login/")
    client.force_login(owner)
    assert client.get("/dossiers/000.00.00.X00-260101-9999/").status_code == 404


def test_officer_sees_the_page_without_applicant_actions(client):
    dossier = DossierFactory(supplement_requested=True)
    officer = OfficerMembershipFactory(agency=dossier.receiving_agency, role=OfficerRole.SPECIALIST).user
    client.force_login(officer)
    page = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert "Việc bạn cần làm" not in page and "/supplement/" not in page


def test_navigation_links_my_dossiers(client, citizen):
    client.force_login(citizen)
    page = client.get("/").content.decode()
    # Its name is its visible text (issue 19: it was an icon alone at some widths).
    assert re.search(
        r'<a [^>]*href="/dossiers/"><i class="bi bi-folder2-open" aria-hidden="true"></i> Hồ sơ của tôi</a>', page
    )


RICH_FORM = {
    "fields": [
        {"name": "married", "type": "yes_no", "label": "Đã kết hôn", "required": True},
        {
            "name": "needs",
            "type": "multiple_choice",
            "label": "Nhu cầu",
            "choices": [{"value": "a", "label": "Bản chính"}, {"value": "b", "label": "Bản sao"}],
        },
        {
            "name": "members",
            "type": "group",
            "label": "Thành viên",
            "fields": [
                {"name": "name", "type": "text", "label": "Họ tên", "required": True},
                {"name": "born", "type": "date", "label": "Ngày sinh"},
            ],
        },
        {"name": "fee", "type": "money", "label": "Số tiền"},
    ]
}


def test_every_kind_of_field_round_trips_through_the_draft(client, citizen):
    version = OnlineVersionFactory(form_schema=RICH_FORM)
    client.force_login(citizen)
    client.post(f"/dossiers/new/{version.procedure.code}/", {"on_behalf_of": ""})
    draft = Dossier.objects.get()
    url = reverse("dossiers:draft_form", args=[draft.pk])
    response = client.post(
        url,
        {
            "data-married": "false",
            "data-needs": ["a", "b"],
            "data-members-0-name": "Lê Thị Hoa",
            "data-members-0-born": "1990-02-03",
            "data-fee": "150000",
            "action": "next",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.form_data["married"] is False
    assert draft.form_data["needs"] == ["a", "b"]
    assert draft.form_data["members"] == [{"name": "Lê Thị Hoa", "born": "1990-02-03"}]
    assert draft.form_data["fee"] == 150000
    page = client.get(url).content.decode()
    assert re.search(r'name="data-married" value="false"[^>]*checked', page)  # the draft's False, shown back
    assert "Lê Thị Hoa" in page
    review = client.get(reverse("dossiers:draft_review", args=[draft.pk])).content.decode()
    assert "Bản chính, Bản sao" in review and "Không" in review and "Họ tên: Lê Thị Hoa" in review
    # A wrong type of answer is explained, not a 500.
    response = client.post(url, {"data-married": "perhaps", "data-fee": "-5", "action": "next"})
    assert response.status_code == 400
    assert "Chọn Có hoặc Không" in response.content.decode()


def test_a_draft_can_be_deleted_from_my_dossiers(client, citizen):
    draft = DossierFactory(draft=True, applicant=citizen)
    client.force_login(citizen)
    page = client.get("/dossiers/").content.decode()
    delete_url = reverse("dossiers:draft_delete", args=[draft.pk])
    assert delete_url in page
    client.post(delete_url)
    assert not Dossier.objects.filter(pk=draft.pk).exists()


def test_timeline_shows_officer_messages_and_labels_every_event(client, citizen):
    from django.db import transaction

    from dossiers.services import event_append

    dossier = _submitted(citizen)
    officer = OfficerMembershipFactory(agency=dossier.receiving_agency, role=OfficerRole.RECEPTION).user
    with transaction.atomic():
        locked = Dossier.objects.select_for_update(of=("self",)).get(pk=dossier.pk)
        event_append(
            dossier=locked,
            action="request_supplement",
            actor=officer,
            from_state=DossierState.SUBMITTED,
            to_state=DossierState.SUPPLEMENT_REQUESTED,
            note="Thiếu bản sao giấy chứng sinh có chứng thực.",
        )
        event_append(dossier=locked, action="some_new_step", actor=officer, from_state="x", to_state="processing")
        Dossier.objects.filter(pk=dossier.pk).update(state=DossierState.SUPPLEMENT_REQUESTED, status_code=5)
    client.force_login(citizen)
    page = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert "Yêu cầu bổ sung, hoàn thiện hồ sơ" in page
    assert "Thiếu bản sao giấy chứng sinh có chứng thực." in page
    assert "Chuyển trạng thái: Đang xử lý" in page
    assert officer.email not in page  # the applicant sees the agency, not the officer's account
    assert dossier.receiving_agency.name in page
    assert f'href="/dossiers/{dossier.code}/supplement/">Bổ sung hồ sơ</a>' in page


def test_the_document_picker_shows_the_local_date(db):
    """A paper stored at 20:00 UTC on 22/11 was stored on 23/11 in Viet Nam (issue 19)."""
    requirement = DocumentRequirementFactory()
    stored = StoredDocumentFactory(created_at=dt.datetime(2026, 11, 22, 20, 0, tzinfo=dt.UTC))
    form = DocumentsForm(requirements=[requirement], stored_documents=[stored])
    labels = dict(form.fields[f"store[{requirement.pk}]"].choices)
    assert labels[str(stored.pk)].endswith("(23/11/2026)")


def test_an_out_of_hours_receipt_says_why_its_time_counts_later(client):
    """Received at 06:20 (before the office opens), counted from 07:30: the page says so."""
    officer = UserFactory()
    dossier = DossierFactory()
    OfficerMembershipFactory(user=officer, agency=dossier.receiving_agency, role=OfficerRole.RECEPTION)
    services.dossier_receive(user=officer, dossier_id=dossier.pk)
    event = DossierEvent.objects.get(dossier=dossier, action="receive")
    counted = event.created_at + dt.timedelta(hours=1, minutes=10)
    Dossier.objects.filter(pk=dossier.pk).update(received_at=counted)
    client.force_login(dossier.applicant)
    page = client.get(f"/dossiers/{dossier.code}/").content.decode()
    at = timezone.localtime(event.created_at)
    assert 'id="received-out-of-hours"' in page
    assert f"Cơ quan tiếp nhận hồ sơ lúc {at:%H:%M %d/%m/%Y}, ngoài giờ làm việc" in page

    Dossier.objects.filter(pk=dossier.pk).update(received_at=event.created_at)  # received in hours
    assert 'id="received-out-of-hours"' not in client.get(f"/dossiers/{dossier.code}/").content.decode()


def test_the_expected_appointment_counts_from_the_next_working_period(db):
    """Filed on Saturday 28/11/2026 at 10:00: the time counts from Monday 30/11 at 07:30."""
    local = timezone.get_current_timezone()
    dossier = DossierFactory(submitted_at=dt.datetime(2026, 11, 28, 10, 0, tzinfo=local))
    monday = dt.datetime(2026, 11, 30, 7, 30, tzinfo=local)
    assert selectors.dossier_expected_due(dossier=dossier) == procedure_selectors.version_due_datetime(
        version=dossier.procedure_version, agency=dossier.receiving_agency, received_at=monday
    )
    assert selectors.dossier_expected_due(dossier=DossierFactory(draft=True)) is None
