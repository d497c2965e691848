"""Counter intake (tiếp nhận trực tiếp): the service and its pages.

Walk-in with and without an account, by post; the dossier ends received with the "submit"
(with its channel) and "receive" events, its code and form 01; every bad input and every
officer without the right refused with nothing written.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dossiers import services
from dossiers.constants import Channel, DocumentSource, DossierState, SlipKind, StatusCode
from dossiers.models import Dossier, DossierDocument, DossierEvent, Slip, StoredDocument
from portal.constants import OfficerRole
from portal.models import CitizenProfile, Notification, User
from tests.dossiers.factories import OnlineVersionFactory, make_pdf, make_png
from tests.dossiers.helpers import page_client
from tests.factories import AgencyFactory, CitizenProfileFactory, OfficerMembershipFactory, UserFactory, with_totp
from tests.procedures.factories import DocumentRequirementFactory, ProcedureFactory

pytestmark = pytest.mark.django_db

CCCD = "001090123456"


@pytest.fixture
def desk():
    """A procedure offered at an agency (counter and post), with one required and one optional document."""
    agency = AgencyFactory()
    version = OnlineVersionFactory(procedure=ProcedureFactory(agencies=[agency]), channel_post=True)
    optional = DocumentRequirementFactory(
        version=version, name="Giấy tờ khác", required=False, order=5, accepted_types=["application/pdf", "image/png"]
    )
    officer = OfficerMembershipFactory(role=OfficerRole.RECEPTION, agency=agency).user
    return officer, agency, version, version.documents.get(required=True), optional


def intake(officer, agency, version, *, applicant=None, form_data=None, documents=None, channel=Channel.COUNTER):
    required = version.documents.get(required=True)
    return services.dossier_counter_intake(
        officer=officer,
        agency_id=agency.pk,
        procedure_code=version.procedure.code,
        channel=channel,
        applicant=applicant
        if applicant is not None
        else {"full_name": "Trần Thị Quầy", "citizen_id": CCCD, "phone": "0912345678", "address": "12 Lê Lợi"},
        form_data=form_data if form_data is not None else {"full_name": "Trần Thị Quầy"},
        documents=documents if documents is not None else [(required.pk, "to khai.pdf", make_pdf())],
        note="Nhận tại quầy số 3",
    )


def counts() -> tuple:
    return (
        Dossier.objects.count(),
        DossierEvent.objects.count(),
        StoredDocument.objects.count(),
        DossierDocument.objects.count(),
        User.objects.count(),
        CitizenProfile.objects.count(),
    )


# --- happy paths --------------------------------------------------------------------------


def test_walk_in_without_account_or_email_is_filed_without_applicant(desk, django_capture_on_commit_callbacks):
    officer, agency, version, required, _optional = desk
    users_before = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        dossier = intake(officer, agency, version)
    dossier.refresh_from_db()
    assert dossier.state == DossierState.RECEIVED and dossier.status_code == StatusCode.RECEIVED
    assert dossier.channel == Channel.COUNTER
    assert dossier.applicant is None and User.objects.count() == users_before
    assert (
        dossier.applicant_name,
        dossier.applicant_id_number,
        dossier.applicant_phone,
        dossier.applicant_address,
    ) == (
        "Trần Thị Quầy",
        CCCD,
        "0912345678",
        "12 Lê Lợi",
    )
    assert dossier.code.startswith(f"{agency.code}-") and dossier.code.endswith("-0001")
    assert dossier.received_at == dossier.submitted_at and dossier.due_at > dossier.received_at
    assert dossier.form_data == {"full_name": "Trần Thị Quầy", "note": ""}
    events = list(dossier.events.order_by("seq"))
    assert [(e.action, e.from_state, e.to_state, e.actor_id) for e in events] == [
        ("submit", DossierState.DRAFT, DossierState.SUBMITTED, officer.pk),
        ("receive", DossierState.SUBMITTED, DossierState.RECEIVED, officer.pk),
    ]
    assert events[0].payload == {"channel": "counter"} and events[0].note == "Nhận tại quầy số 3"
    assert services.events_verify(codes=[dossier.code]) == []
    document = dossier.documents.get()
    assert document.requirement == required and document.added_by == officer
    # No account to own the scan: the officer who scanned it does.
    assert (document.stored.source, document.stored.owner_id) == (DocumentSource.SCAN, officer.pk)
    slip = Slip.objects.get(dossier=dossier)
    assert slip.kind == SlipKind.RECEIPT and slip.event_seq == 2 and slip.file


def test_returned_dossier_carries_the_pin_once_and_it_tracks(desk):
    officer, agency, version, *_ = desk
    dossier = intake(officer, agency, version)
    from dossiers.selectors import dossier_check_pin

    assert len(dossier.tracking_pin) == 8
    assert dossier_check_pin(code=dossier.code, pin=dossier.tracking_pin).pk == dossier.pk


def test_walk_in_with_existing_profile_is_filed_under_the_account(desk, django_capture_on_commit_callbacks):
    officer, agency, version, required, optional = desk
    profile = CitizenProfileFactory(current_address="5 Hai Bà Trưng", email="")
    with django_capture_on_commit_callbacks(execute=True):
        dossier = intake(
            officer,
            agency,
            version,
            applicant={"full_name": profile.full_name, "citizen_id": profile.citizen_id},
            documents=[(required.pk, "a.pdf", make_pdf()), (optional.pk, "b.png", make_png())],
        )
    dossier.refresh_from_db()
    assert dossier.applicant == profile.user
    # Completed from the profile where the officer typed nothing.
    assert (dossier.applicant_phone, dossier.applicant_address, dossier.applicant_email) == (
        profile.phone,
        "5 Hai Bà Trưng",
        profile.user.email,
    )
    stored = StoredDocument.objects.filter(dossier_uses__dossier=dossier)
    assert sorted(stored.values_list("mime_type", flat=True)) == ["application/pdf", "image/png"]
    assert set(stored.values_list("owner_id", flat=True)) == {profile.user.pk}
    assert Notification.objects.filter(user=profile.user, dossier_code=dossier.code).exists()


def test_walk_in_found_by_email(desk):
    officer, agency, version, *_ = desk
    citizen = UserFactory(email="an@example.vn")
    dossier = intake(
        officer, agency, version, applicant={"full_name": "Nguyễn An", "citizen_id": CCCD, "email": "AN@example.vn"}
    )
    assert dossier.applicant == citizen and dossier.applicant_email == "an@example.vn"


def test_walk_in_with_email_gets_an_unclaimed_account(desk):
    officer, agency, version, *_ = desk
    dossier = intake(
        officer,
        agency,
        version,
        applicant={"full_name": "Lê Mới", "citizen_id": CCCD, "email": "moi@example.vn", "phone": "+84912345678"},
    )
    user = User.objects.get(email="moi@example.vn")
    assert dossier.applicant == user and not user.has_usable_password()
    profile = CitizenProfile.objects.get(user=user)
    assert (profile.full_name, profile.citizen_id, profile.phone) == ("Lê Mới", CCCD, "0912345678")
    assert dossier.documents.get().stored.owner == user


def test_postal_dossier_records_its_channel(desk):
    officer, agency, version, *_ = desk
    dossier = intake(officer, agency, version, channel=Channel.POST)
    assert dossier.channel == Channel.POST and dossier.state == DossierState.RECEIVED
    assert dossier.events.get(action="submit").payload == {"channel": "post"}


def test_codes_follow_each_other_per_agency_and_day(desk):
    officer, agency, version, *_ = desk
    first = intake(officer, agency, version)
    second = intake(officer, agency, version)
    assert int(second.code.rsplit("-", 1)[1]) == int(first.code.rsplit("-", 1)[1]) + 1


# --- refused, nothing written -------------------------------------------------------------


@pytest.mark.parametrize(
    ("applicant", "key"),
    [
        ({"full_name": "A", "citizen_id": "12345"}, "applicant.citizen_id"),
        ({"full_name": "A", "citizen_id": "00109012345a"}, "applicant.citizen_id"),
        ({"full_name": "A", "citizen_id": "999090123456"}, "applicant.citizen_id"),
        ({"full_name": "A", "citizen_id": ""}, "applicant.citizen_id"),
        ({"full_name": " ", "citizen_id": CCCD}, "applicant.full_name"),
        ({"full_name": "A", "citizen_id": CCCD, "email": "not-an-email"}, "applicant.email"),
        ({"full_name": "A", "citizen_id": CCCD, "phone": "12345"}, "applicant.phone"),
        ({"full_name": "A" * 151, "citizen_id": CCCD}, "applicant.full_name"),
    ],
)
def test_bad_applicant_is_refused(desk, applicant, key):
    officer, agency, version, *_ = desk
    before = counts()
    with pytest.raises(ValidationError) as raised:
        intake(officer, agency, version, applicant=applicant)
    assert key in raised.value.message_dict
    assert counts() == before


def test_cccd_and_email_of_two_accounts_are_refused(desk):
    officer, agency, version, *_ = desk
    profile = CitizenProfileFactory()
    other = UserFactory()
    before = counts()
    with pytest.raises(ValidationError) as raised:
        intake(
            officer,
            agency,
            version,
            applicant={"full_name": "X", "citizen_id": profile.citizen_id, "email": other.email},
        )
    assert "Email này thuộc một tài khoản khác" in raised.value.message_dict["applicant.email"][0]
    assert counts() == before


def test_email_whose_profile_has_another_cccd_is_refused(desk):
    officer, agency, version, *_ = desk
    profile = CitizenProfileFactory()
    with pytest.raises(ValidationError) as raised:
        intake(officer, agency, version, applicant={"full_name": "X", "citizen_id": CCCD, "email": profile.user.email})
    assert "applicant.citizen_id" in raised.value.message_dict


def test_missing_required_document_and_form_errors_are_reported_together(desk):
    officer, agency, version, required, optional = desk
    before = counts()
    with pytest.raises(ValidationError) as raised:
        intake(officer, agency, version, form_data={"full_name": ""}, documents=[(optional.pk, "b.pdf", make_pdf())])
    errors = raised.value.message_dict
    assert errors[f"documents[{required.pk}]"] == [f"Thiếu giấy tờ bắt buộc: {required.name}."]
    assert "data.full_name" in errors
    assert counts() == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.pdf", b"MZ\x90\x00 not a pdf at all" * 10, "không thuộc các định dạng được chấp nhận"),
        ("empty.pdf", b"", "rỗng"),
        ("js.pdf", make_pdf(javascript=True), "JavaScript"),
        ("locked.pdf", make_pdf(password="x"), "mã hoá"),
    ],
)
def test_bad_scan_is_refused(desk, name, content, message):
    officer, agency, version, required, _optional = desk
    before = counts()
    with pytest.raises(ValidationError) as raised:
        intake(officer, agency, version, documents=[(required.pk, name, content)])
    assert message in " ".join(raised.value.message_dict[f"documents[{required.pk}]"])
    assert counts() == before


def test_scan_of_another_procedure_or_twice_the_same_component_is_refused(desk):
    officer, agency, version, required, _optional = desk
    stranger = DocumentRequirementFactory()
    with pytest.raises(ValidationError) as raised:
        intake(officer, agency, version, documents=[(required.pk, "a.pdf", make_pdf()), (stranger.pk, "b.pdf", b"x")])
    assert "documents" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        intake(officer, agency, version, documents=[(required.pk, "a.pdf", make_pdf())] * 2)
    assert "chỉ nhận một tệp" in raised.value.message_dict[f"documents[{required.pk}]"][0]
    assert not Dossier.objects.exists()


def test_procedure_not_offered_at_the_agency_or_unknown_or_channel_closed(desk):
    officer, agency, version, *_ = desk
    elsewhere = OnlineVersionFactory()
    with pytest.raises(ValidationError) as raised:
        intake(officer, agency, elsewhere)
    assert raised.value.message_dict == {"agency": ["Cơ quan của bạn không thực hiện thủ tục này."]}
    with pytest.raises(ValidationError) as raised:
        services.dossier_counter_intake(
            officer=officer,
            agency_id=agency.pk,
            procedure_code="0.000000",
            channel="counter",
            applicant={},
            form_data={},
            documents=[],
        )
    assert "procedure" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        intake(officer, agency, version, channel="online")
    assert "channel" in raised.value.message_dict
    version.channel_post = False
    version.save(update_fields=["channel_post"])
    with pytest.raises(ValidationError) as raised:
        intake(officer, agency, version, channel=Channel.POST)
    assert raised.value.message_dict == {"channel": ["Thủ tục này không nhận hồ sơ qua dịch vụ bưu chính."]}
    assert not Dossier.objects.exists()


@pytest.mark.parametrize(
    ("role", "own_agency", "allowed"),
    [
        (OfficerRole.RECEPTION, True, True),
        (OfficerRole.RECEPTION, False, False),
        (OfficerRole.SPECIALIST, True, False),
        (OfficerRole.DEPARTMENT_HEAD, True, False),
        (OfficerRole.LEADER, True, False),
        (OfficerRole.AGENCY_ADMIN, True, False),
        (None, True, False),
    ],
)
def test_permission_matrix(desk, role, own_agency, allowed):
    _officer, agency, version, *_ = desk
    if role is None:
        user = UserFactory()
    else:
        user = OfficerMembershipFactory(role=role, agency=agency if own_agency else AgencyFactory()).user
    before = counts()
    if allowed:
        assert intake(user, agency, version).state == DossierState.RECEIVED
        return
    with pytest.raises(PermissionDenied):
        intake(user, agency, version)
    assert counts() == before


# --- pages ----------------------------------------------------------------------------------

START = "/officer/intake/"


def login(client, user):
    return page_client(client, with_totp(user))


def form_url(version) -> str:
    return f"/officer/intake/{version.procedure.code}/"


def post_body(agency, required, **overrides) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = {
        "token": "t-1",
        "agency": str(agency.pk),
        "channel": "counter",
        "applicant_full_name": "Trần Thị Quầy",
        "applicant_citizen_id": CCCD,
        "applicant_phone": "0912345678",
        "applicant_address": "12 Lê Lợi",
        "data-full_name": "Trần Thị Quầy",
        "note": "",
        f"doc-{required.pk}": SimpleUploadedFile("to khai.pdf", make_pdf(), content_type="application/pdf"),
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def test_start_page_lists_my_agencies_and_procedures_and_finds_the_citizen(client, desk):
    officer, agency, version, *_ = desk
    hidden = OnlineVersionFactory()  # offered elsewhere only
    profile = CitizenProfileFactory(full_name="Phạm Thị Tìm")
    client = login(client, officer)
    body = client.get(START).content.decode()
    assert agency.name in body and version.procedure.code in body and hidden.procedure.code not in body
    found = client.get(START, {"q": profile.citizen_id}).content.decode()
    assert "Đã tìm thấy tài khoản" in found and "Phạm Thị Tìm" in found
    by_email = client.get(START, {"q": profile.user.email.upper()}).content.decode()
    assert "Phạm Thị Tìm" in by_email
    assert "Không tìm thấy tài khoản" in client.get(START, {"q": CCCD}).content.decode()
    bad = client.get(START, {"q": "12345"})
    assert bad.status_code == 400 and "gồm 12 chữ số" in bad.content.decode()
    go = client.get(
        START, {"go": "1", "agency": agency.pk, "procedure": version.procedure.code, "q": profile.citizen_id}
    )
    assert go.status_code == 302
    assert go["Location"] == f"{form_url(version)}?agency={agency.pk}&q={profile.citizen_id}"
    missing = client.get(START, {"go": "1", "agency": agency.pk, "procedure": hidden.procedure.code})
    assert missing.status_code == 400 and "Vui lòng chọn thủ tục" in missing.content.decode()


def test_form_page_is_prefilled_from_the_profile(client, desk):
    officer, agency, version, required, optional = desk
    profile = CitizenProfileFactory(full_name="Phạm Thị Tìm", current_address="7 Pasteur")
    response = login(client, officer).get(form_url(version), {"agency": agency.pk, "q": profile.citizen_id})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="Phạm Thị Tìm"' in body and 'value="7 Pasteur"' in body and f'value="{profile.citizen_id}"' in body
    assert f'name="doc-{required.pk}"' in body and f'name="doc-{optional.pk}"' in body
    assert 'value="post"' in body and 'value="online"' not in body


def test_posting_the_form_files_and_receives_the_dossier(client, desk, django_capture_on_commit_callbacks):
    officer, agency, version, required, _optional = desk
    client = login(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(form_url(version), post_body(agency, required))
    dossier = Dossier.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/dossiers/{dossier.code}/"
    assert (dossier.state, dossier.channel, dossier.applicant_id) == (DossierState.RECEIVED, "counter", None)
    assert list(dossier.events.order_by("seq").values_list("action", flat=True)) == ["submit", "receive"]
    page = client.get(response["Location"]).content.decode()
    assert f"Đã tiếp nhận hồ sơ {dossier.code}" in page and "Mã PIN tra cứu của người nộp" in page
    slip = Slip.objects.get(dossier=dossier, kind=SlipKind.RECEIPT)
    assert f"/files/slips/{slip.pk}/" in page
    # The same form posted twice (double click, back button) files nothing more.
    again = client.post(form_url(version), post_body(agency, required))
    assert again["Location"] == f"/dossiers/{dossier.code}/" and Dossier.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"applicant_citizen_id": "0012345"}, "phải gồm đúng 12 chữ số"),
        ({"doc-REQ": None}, "Thiếu giấy tờ bắt buộc"),
        ("wrong-type", "không thuộc các định dạng được chấp nhận"),
        ({"data-full_name": ""}, "Nhập họ và tên."),
        ({"channel": "online"}, "Kênh nộp phải là trực tiếp hoặc qua bưu chính"),
        ({"applicant_email": "khong-phai-email"}, "Địa chỉ email không hợp lệ"),
    ],
)
def test_bad_input_comes_back_with_the_reason_and_nothing_is_filed(client, desk, overrides, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    officer, agency, version, required, _optional = desk
    if overrides == "wrong-type":
        overrides = {f"doc-{required.pk}": SimpleUploadedFile("x.pdf", b"GIF89a" + b"\x00" * 64)}
    overrides = {k.replace("REQ", str(required.pk)): v for k, v in overrides.items()}
    before = counts()
    response = login(client, officer).post(form_url(version), post_body(agency, required, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


def test_procedure_not_offered_at_my_agencies_is_404(client, desk):
    officer, agency, _version, required, _optional = desk
    elsewhere = OnlineVersionFactory()
    client = login(client, officer)
    assert client.get(form_url(elsewhere)).status_code == 404
    assert client.post(form_url(elsewhere), post_body(agency, required)).status_code == 404
    assert client.get("/officer/intake/0.000000/").status_code == 404
    assert not Dossier.objects.exists()


@pytest.mark.parametrize(
    ("role", "own_agency", "status"),
    [
        (OfficerRole.SPECIALIST, True, 403),
        (OfficerRole.LEADER, True, 403),
        (OfficerRole.AGENCY_ADMIN, True, 403),
        (OfficerRole.RECEPTION, False, 404),
        (None, True, 403),
    ],
)
def test_pages_refuse_officers_without_intake_for_the_agency(client, desk, role, own_agency, status):
    _officer, agency, version, required, _optional = desk
    if role is None:
        user = UserFactory()
        client.force_login(user)
    else:
        user = OfficerMembershipFactory(role=role, agency=agency if own_agency else AgencyFactory()).user
        client = login(client, user)
    assert client.get(START).status_code == (403 if status == 403 else 200)
    assert client.get(form_url(version)).status_code == status
    assert client.post(form_url(version), post_body(agency, required)).status_code == status
    assert not Dossier.objects.exists()


def test_reception_officer_of_two_agencies_cannot_post_for_an_agency_not_its_own(client, desk):
    officer, agency, version, required, _optional = desk
    stranger_agency = AgencyFactory()
    version.procedure.agencies.add(stranger_agency)
    response = login(client, officer).post(form_url(version), post_body(stranger_agency, required))
    assert response.status_code == 403
    assert not Dossier.objects.exists()
