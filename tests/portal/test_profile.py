"""The citizen profile page: good input saved and prefilled, bad input refused in Vietnamese."""

import lxml.html
import pytest
from django.core.exceptions import ValidationError

from portal import divisions
from portal.models import CitizenProfile
from portal.services import profile_update
from tests.factories import CitizenProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/account/profile/"

GOOD = {
    "full_name": "Nguyễn Thị Hoa",
    "date_of_birth": "1992-03-04",
    "sex": "female",
    "citizen_id": "001192004321",
    "phone": "+84 912 345 678",
    "email": "hoa@example.vn",
    "permanent_address": "Số 10 Phố Huế",
    "permanent_province": "1",
    "permanent_commune": "70",
    "current_address": "",
    "current_province": "",
    "current_commune": "",
}


@pytest.fixture
def user_client(client):
    user = UserFactory(full_name="")
    client.force_login(user)
    client.user = user
    return client


def test_good_profile_is_saved_and_prefilled(user_client):
    response = user_client.post(URL, GOOD, follow=True)
    assert response.redirect_chain == [("/account/", 302)]
    assert "Đã lưu hồ sơ cá nhân." in response.content.decode()
    assert "Nguyễn Thị Hoa" in response.content.decode()
    profile = CitizenProfile.objects.get(user=user_client.user)
    assert profile.citizen_id == "001192004321"
    assert profile.phone == "0912345678"
    assert (profile.permanent_province, profile.permanent_commune) == (1, 70)
    assert profile.current_province is None
    user_client.user.refresh_from_db()
    assert user_client.user.full_name == "Nguyễn Thị Hoa"

    page = user_client.get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="001192004321"' in body
    assert 'value="1992-03-04"' in body
    assert '<option value="70" selected>Phường Hoàn Kiếm</option>' in body


def test_empty_profile_form_is_prefilled_from_the_account(user_client):
    body = user_client.get(URL).content.decode()
    assert f'value="{user_client.user.email}"' in body


def test_update_keeps_one_profile(user_client):
    user_client.post(URL, GOOD)
    assert user_client.post(URL, GOOD | {"phone": "0987654321"}).status_code == 302
    assert CitizenProfile.objects.filter(user=user_client.user).count() == 1
    assert CitizenProfile.objects.get(user=user_client.user).phone == "0987654321"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"citizen_id": "12345"}, "citizen_id", "phải gồm đúng 12 chữ số"),
        ({"citizen_id": "00119200432A"}, "citizen_id", "phải gồm đúng 12 chữ số"),
        ({"citizen_id": "003192004321"}, "citizen_id", "không phải mã tỉnh hợp lệ"),
        ({"citizen_id": "001092004321"}, "citizen_id", "không khớp với năm sinh hoặc giới tính"),  # male digit
        ({"citizen_id": "001193004321"}, "citizen_id", "không khớp với năm sinh hoặc giới tính"),  # year 93
        ({"phone": "0123456789"}, "phone", "Số điện thoại di động không hợp lệ"),
        ({"phone": "091234567"}, "phone", "Số điện thoại di động không hợp lệ"),
        ({"phone": "không có"}, "phone", "Số điện thoại di động không hợp lệ"),
        ({"permanent_commune": "26887"}, "permanent_commune", "không thuộc tỉnh/thành phố đã chọn"),
        ({"permanent_province": "", "permanent_commune": "70"}, "permanent_commune", "không thuộc tỉnh/thành phố"),
        ({"permanent_province": "999"}, "permanent_province", "Hãy chọn một lựa chọn hợp lệ"),
        ({"permanent_province": "abc"}, "permanent_province", "Hãy chọn một lựa chọn hợp lệ"),
        ({"date_of_birth": "31/02/1990"}, "date_of_birth", "hợp lệ"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "tương lai"),
        ({"full_name": ""}, "full_name", "Trường này là bắt buộc."),
        ({"sex": "other"}, "sex", "Hãy chọn một lựa chọn hợp lệ"),
        ({"email": "not-an-email"}, "email", "hợp lệ"),
    ],
)
def test_bad_input_gets_a_vietnamese_error_and_saves_nothing(user_client, changes, field, message):
    response = user_client.post(URL, GOOD | changes)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert any(message in e for e in form.errors[field]), form.errors[field]
    assert message in response.content.decode()
    assert not CitizenProfile.objects.filter(user=user_client.user).exists()


def test_all_wrong_fields_are_reported_at_once(user_client):
    response = user_client.post(URL, GOOD | {"citizen_id": "12345", "phone": "0123"})
    assert response.status_code == 400
    assert {"citizen_id", "phone"} <= set(response.context["form"].errors)


def test_citizen_id_already_used_by_someone_else(user_client):
    CitizenProfileFactory(citizen_id=GOOD["citizen_id"], sex="female")
    response = user_client.post(URL, GOOD)
    assert response.status_code == 400
    errors = response.context["form"].errors["citizen_id"]
    assert any("đã" in e for e in errors), errors
    assert not CitizenProfile.objects.filter(user=user_client.user).exists()


def test_bad_update_leaves_the_saved_profile_alone(user_client):
    user_client.post(URL, GOOD)
    response = user_client.post(URL, GOOD | {"phone": "0123", "full_name": "Tên Khác"})
    assert response.status_code == 400
    profile = CitizenProfile.objects.get(user=user_client.user)
    assert (profile.full_name, profile.phone) == ("Nguyễn Thị Hoa", "0912345678")


def test_profile_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("permanent_province=1", "Phường Hoàn Kiếm"),
        ("current_province=79", "Phường Bến Thành"),
        ("province=1", "Phường Hoàn Kiếm"),
    ],
)
def test_commune_options_follow_the_province(client, query, expected):
    response = client.get(f"/divisions/communes/?{query}")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<option value="">')
    assert expected in body


@pytest.mark.parametrize("query", ["", "permanent_province=", "permanent_province=abc", "permanent_province=99999"])
def test_commune_options_for_no_or_bad_province_are_just_the_placeholder(client, query):
    response = client.get(f"/divisions/communes/?{query}")
    assert response.status_code == 200
    assert response.content.decode().count("<option") == 1


def test_commune_names_are_clean():
    names = [name for code, _ in divisions.province_choices() for _, name in divisions.commune_choices(code)]
    assert len(names) > 3000
    assert all(name == " ".join(name.split()) for name in names)


def test_service_refuses_a_commune_of_another_province():
    user = UserFactory()
    with pytest.raises(ValidationError) as error:
        profile_update(user=user, data={"full_name": "A", "current_province": 1, "current_commune": 26887})
    assert "không thuộc tỉnh/thành phố đã chọn" in error.value.message_dict["current_commune"][0]
    with pytest.raises(ValidationError) as error:
        profile_update(user=user, data={"full_name": "A", "current_commune": 70})
    assert "current_province" in error.value.message_dict
    assert not CitizenProfile.objects.filter(user=user).exists()


def test_a_refused_profile_has_the_error_summary(user_client):
    """The GOV.UK error summary, as on the filing wizard (issue 19)."""
    page = user_client.get(URL).content.decode()
    assert 'id="error-summary"' not in page and "<title>Lỗi:" not in page
    response = user_client.post(URL, GOOD | {"phone": "0123", "citizen_id": "12"})
    assert response.status_code == 400
    tree = lxml.html.fromstring(response.content.decode())
    assert tree.findtext(".//title").startswith("Lỗi: Hồ sơ cá nhân")
    summary = tree.get_element_by_id("error-summary")
    assert summary.get("tabindex") == "-1" and summary.get("role") == "alert"
    links = [a.get("href") for a in summary.iter("a")]
    assert "#id_phone" in links and "#id_citizen_id" in links
    for href in links:
        assert tree.get_element_by_id(href[1:]) is not None
