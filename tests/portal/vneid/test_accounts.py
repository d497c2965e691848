"""VNeID and the portal's accounts: linking an existing account only with proof, the profile
fields VNeID fills (locked), the LoA2 step-up a procedure asks for, officers' second factor."""

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core import mail
from django.core.exceptions import ValidationError

from dossiers.models import Dossier
from portal.models import CitizenProfile
from portal.services import profile_update
from portal.vneid import SESSION_LOA
from tests.dossiers.factories import OnlineVersionFactory
from tests.factories import PASSWORD, CitizenProfileFactory, OfficerMembershipFactory, UserFactory, with_totp
from tests.portal.vneid.helpers import USERS, provider_sign_in

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/oidc/vneid/login/"
LINK = "/accounts/vneid/link/"
AN, BINH = "001203004567", "079190001234"


def sign_in(client, login=BINH, **params):
    response = client.post(LOGIN, params)
    assert response.status_code == 302
    url = provider_sign_in(
        response["Location"], login=login, password=USERS[login]["password"], until="http://testserver/"
    )
    return client.get(url.removeprefix("http://testserver"))


def signed_in_as(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def existing(db):
    """A citizen registered by e-mail before VNeID, whose profile holds An's số định danh."""
    return CitizenProfileFactory(
        citizen_id=AN, full_name="Nguyen Van An (typed)", user=UserFactory(email="an.old@example.vn")
    ).user


def test_an_existing_account_with_the_same_number_is_not_opened_without_proof(client, vneid, existing):
    response = sign_in(client, AN)
    assert response.status_code == 302 and response["Location"] == LINK
    assert signed_in_as(client) is None
    page = client.get(LINK).content.decode()
    assert "an***@example.vn" in page
    assert not SocialAccount.objects.exists()


def test_a_wrong_password_links_nothing(client, vneid, existing):
    sign_in(client, AN)
    response = client.post(LINK, {"step": "password", "password": "not-the-password"})
    assert response.status_code == 400
    assert "Mật khẩu không đúng." in response.content.decode()
    assert signed_in_as(client) is None
    assert not SocialAccount.objects.exists()


def test_the_password_links_and_signs_in_to_the_existing_account(client, vneid, existing):
    sign_in(client, AN)
    response = client.post(LINK, {"step": "password", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_as(client) == str(existing.pk)
    assert SocialAccount.objects.get().user == existing
    profile = CitizenProfile.objects.get(user=existing)
    assert profile.full_name == "Nguyễn Văn An"  # VNeID's spelling replaces the typed one
    assert client.session[SESSION_LOA] == "LoA1"
    # Next time VNeID opens the linked account at once.
    client.logout()
    response = sign_in(client, AN)
    assert response.status_code == 302 and signed_in_as(client) == str(existing.pk)


def test_an_email_code_links_too(client, vneid, existing):
    sign_in(client, AN)
    client.post(LINK, {"step": "send_code"})
    assert mail.outbox[-1].to == ["an.old@example.vn"]
    code = next(word for word in mail.outbox[-1].body.split() if word.isdigit() and len(word) == 6)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert client.post(LINK, {"step": "code", "code": wrong}).status_code == 400
    assert signed_in_as(client) is None
    response = client.post(LINK, {"step": "code", "code": code})
    assert response.status_code == 302 and signed_in_as(client) == str(existing.pk)


def test_a_matching_email_address_is_never_linked_silently(client, vneid):
    owner = UserFactory(email="binh.vneid@example.test")
    response = sign_in(client, BINH)
    assert response["Location"] == LINK
    assert signed_in_as(client) is None
    client.post(LINK, {"step": "password", "password": PASSWORD})
    assert SocialAccount.objects.get().user == owner


def test_the_link_page_without_a_pending_sign_in_is_a_message(client, vneid):
    response = client.get(LINK)
    assert response.status_code == 400
    assert 'id="vneid-error"' in response.content.decode()


def test_fields_from_vneid_are_shown_and_locked(client, vneid):
    sign_in(client, BINH)
    page = client.get("/account/profile/").content.decode()
    assert page.count("Lấy từ VNeID") == 4
    profile = CitizenProfile.objects.get()
    data = {
        "full_name": "Tên khác",
        "citizen_id": BINH,
        "date_of_birth": "1990-02-03",
        "sex": "female",
        "phone": "0912345678",
        "email": "",
    }
    response = client.post("/account/profile/", data)
    # The disabled field keeps VNeID's value; the phone (not from VNeID) is saved.
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.full_name == "Trần Thị Bình" and profile.phone == "0912345678"


def test_the_service_refuses_a_changed_vneid_field(vneid, client):
    sign_in(client, BINH)
    profile = CitizenProfile.objects.get()
    with pytest.raises(ValidationError) as error:
        profile_update(user=profile.user, data={"full_name": "Tên khác"})
    assert "full_name" in error.value.message_dict


def test_a_procedure_requiring_loa2_asks_a_lower_session_to_sign_in_again(client, vneid):
    version = OnlineVersionFactory(required_assurance="LoA2")
    url = f"/dossiers/new/{version.procedure.code}/"
    sign_in(client, AN)
    client.post("/accounts/3rdparty/signup/", {"email": "an@example.test"})
    assert client.session[SESSION_LOA] == "LoA1"
    response = client.get(url)
    assert response.status_code == 403
    page = response.content.decode()
    assert 'id="vneid-step-up-login"' in page and 'name="acr" value="LoA2"' in page
    # Signing in again at LoA2 comes back to the procedure, which now opens.
    response = sign_in(client, AN, acr="LoA2", next=url)
    assert response.status_code == 302 and response["Location"] == url
    assert client.session[SESSION_LOA] == "LoA2"
    assert not Dossier.objects.exists()  # nothing was started while the session fell short
    # One way to apply at one agency: the procedure opens straight on its form (issue 19).
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].endswith("/form/")
    assert Dossier.objects.get().applicant.email == "an@example.test"


def test_a_password_session_is_asked_for_vneid_too(client, vneid, user):
    version = OnlineVersionFactory(required_assurance="LoA2")
    client.force_login(user)
    assert client.get(f"/dossiers/new/{version.procedure.code}/").status_code == 403
    assert not Dossier.objects.exists()
    # A procedure with no assurance asked opens (straight on its form: nothing to choose).
    response = client.get(f"/dossiers/new/{OnlineVersionFactory().procedure.code}/")
    assert response.status_code == 302 and response["Location"].endswith("/form/")


def test_an_officer_signed_in_with_vneid_still_needs_the_second_factor(client, vneid):
    officer = with_totp(UserFactory(email="officer@example.vn"))
    OfficerMembershipFactory(user=officer)
    CitizenProfileFactory(user=officer, citizen_id=BINH, sex="female")
    sign_in(client, BINH)
    response = client.post(LINK, {"step": "password", "password": PASSWORD})
    # allauth's second-factor stage stands between the password proof and the session.
    assert response.status_code == 302
    assert "/accounts/2fa/authenticate/" in response["Location"]
    assert signed_in_as(client) is None
    assert client.get("/officer/").status_code == 302
