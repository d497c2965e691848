"""Sign-in and sign-up (allauth) show the error summary of the filing wizard (issue 19):
"Lỗi: " at the start of the title, a summary that takes the focus, a link to each field."""

import lxml.html
import pytest
from django.conf import settings

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _summary(response):
    tree = lxml.html.fromstring(response.content.decode())
    summary = tree.get_element_by_id("error-summary")
    assert summary.get("tabindex") == "-1" and summary.get("role") == "alert"
    return tree, summary, [a.get("href") for a in summary.iter("a")]


def test_sign_in_pages_without_errors_have_no_summary(client):
    for url in ("/accounts/login/", "/accounts/signup/"):
        page = client.get(url).content.decode()
        assert 'id="error-summary"' not in page and "<title>Lỗi:" not in page, url


def test_a_refused_sign_up_links_each_field(client):
    UserFactory(email="co@example.vn")
    response = client.post("/accounts/signup/", {"email": "khong-phai-email", "password1": "x", "password2": "y"})
    assert response.status_code == 200  # allauth answers a refused form with 200
    tree, summary, links = _summary(response)
    assert tree.findtext(".//title").strip().startswith("Lỗi:")
    assert "#id_email" in links
    for href in links:
        assert tree.get_element_by_id(href[1:]) is not None


def test_a_refused_sign_in_says_so_at_the_top_in_english_too(client):
    user = UserFactory()
    response = client.post("/accounts/login/", {"login": user.email, "password": "sai-mat-khau"})
    tree, summary, links = _summary(response)
    assert tree.findtext(".//title").strip().startswith("Lỗi:")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post("/accounts/login/", {"login": user.email, "password": "sai-mat-khau"})
    tree, summary, links = _summary(response)
    assert tree.findtext(".//title").strip().startswith("Error:")
    assert "There is a problem" in summary.text_content()
