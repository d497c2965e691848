"""A long form asked a page at a time (issue 19): the schema's ``page`` titles, each page checked
and saved on its own, "Quay lại" and the progress, the review step's "Sửa" links that come back
to the review, and the whole form checked again at submission."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dossiers.models import Dossier
from procedures import selectors as procedure_selectors
from tests.dossiers.factories import OnlineVersionFactory
from tests.dossiers.filing.test_filing_pages import CHILD, KHAI_SINH, citizen_client, profile  # noqa: F401
from tests.factories import CitizenProfileFactory
from tests.procedures.conftest import demo_agencies, demo_catalogue  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

PAGES = ["Người đi đăng ký", "Trẻ được đăng ký khai sinh", "Cha, mẹ của trẻ", "Quan hệ và số bản sao"]
APPLICANT = {
    "data-requester_name": "Nguyễn Văn Cha",
    "data-requester_id": "001090000001",
    "data-requester_phone": "0912345678",
}


def _start(client) -> Dossier:
    response = client.post(reverse("dossiers:new", args=[KHAI_SINH]), {"on_behalf_of": "", "agency": "000.01.21.H99"})
    assert response.status_code == 302
    return Dossier.objects.latest("pk")


def _names(html: str) -> set[str]:
    return set(re.findall(r'name="data-([a-z_]+)', html))


# --- the schema -------------------------------------------------------------------------------


def test_pages_are_runs_of_fields_with_the_same_title():
    schema = procedure_selectors.form_schema_validate(
        {
            "fields": [
                {"name": "a", "type": "text", "label": "A", "page": " Một "},
                {"name": "b", "type": "text", "label": "B"},  # joins the page before it
                {"name": "c", "type": "text", "label": "C", "page": "Hai"},
                {"name": "d", "type": "text", "label": "D", "page": "Hai"},
            ]
        }
    )
    pages = procedure_selectors.form_schema_pages(schema)
    assert [(p["title"], [f["name"] for f in p["fields"]]) for p in pages] == [("Một", ["a", "b"]), ("Hai", ["c", "d"])]
    assert procedure_selectors.form_schema_page(schema, 2) == {"fields": pages[1]["fields"]}
    # No page titles: one page, untitled.
    plain = procedure_selectors.form_schema_validate({"fields": [{"name": "a", "type": "text", "label": "A"}]})
    assert [(p["title"], len(p["fields"])) for p in procedure_selectors.form_schema_pages(plain)] == [("", 1)]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "a", "type": "text", "label": "A", "page": 3}, "fields[0](a).page: tên trang phải là chuỗi"),
        ({"name": "a", "type": "text", "label": "A", "page": "x" * 201}, "fields[0](a).page: tên trang phải là chuỗi"),
        (
            {
                "name": "g",
                "type": "group",
                "label": "G",
                "fields": [{"name": "x", "type": "text", "label": "X", "page": "P"}],
            },
            "fields[0](g).fields[0](x).page: trường con của nhóm lặp lại ở cùng trang với nhóm.",
        ),
    ],
)
def test_a_bad_page_title_is_refused_with_its_path(spec, message):
    with pytest.raises(ValidationError) as caught:
        procedure_selectors.form_schema_validate({"fields": [spec]})
    assert any(m.startswith(message) for m in caught.value.messages), caught.value.messages


# --- the wizard -------------------------------------------------------------------------------


def test_the_birth_registration_is_asked_a_page_at_a_time(citizen_client, demo_catalogue):  # noqa: F811
    draft = _start(citizen_client)
    url = reverse("dossiers:draft_form", args=[draft.pk])
    first = citizen_client.get(url).content.decode()
    assert f"Tờ khai: {PAGES[0]}" in first and "Trang 1/4 của tờ khai" in first
    assert "requester_name" in _names(first) and "child_name" not in _names(first)
    assert f'href="{url}?page=1"' not in first  # no "Quay lại" on the first page
    # Each page saved, then the next; the last one leads to the documents.
    expected = [f"{url}?page=2", f"{url}?page=3", f"{url}?page=4", reverse("dossiers:draft_documents", args=[draft.pk])]
    for number, following in enumerate(expected, 1):
        page = citizen_client.get(f"{url}?page={number}").content.decode()
        assert f"Tờ khai: {PAGES[number - 1]}" in page and f"Trang {number}/4" in page
        if number > 1:
            assert f'href="{url}?page={number - 1}"' in page  # "Quay lại"
        response = citizen_client.post(f"{url}?page={number}", {**APPLICANT, **CHILD, "action": "next"})
        assert response.status_code == 302 and response["Location"] == following
    draft.refresh_from_db()
    assert draft.form_data["requester_name"] == "Nguyễn Văn Cha" and draft.form_data["mother_name"] == "Trần Thị Mẹ"
    # A page number out of range is the nearest page, never an error.
    assert "Trang 4/4" in citizen_client.get(f"{url}?page=99").content.decode()
    assert "Trang 1/4" in citizen_client.get(f"{url}?page=x").content.decode()


def test_a_page_keeps_the_answers_of_the_other_pages(citizen_client, demo_catalogue):  # noqa: F811
    draft = _start(citizen_client)
    url = reverse("dossiers:draft_form", args=[draft.pk])
    citizen_client.post(f"{url}?page=1", {**APPLICANT, "action": "next"})
    # Page 2 posted with a changed applicant name: not a field of page 2, ignored.
    citizen_client.post(f"{url}?page=2", {**CHILD, "data-requester_name": "Kẻ Khác", "action": "next"})
    draft.refresh_from_db()
    assert draft.form_data["requester_name"] == "Nguyễn Văn Cha" and draft.form_data["child_name"] == "Nguyễn Văn Bé"


def test_the_review_links_each_page_and_comes_back_after_saving(citizen_client, demo_catalogue):  # noqa: F811
    draft = _start(citizen_client)
    url = reverse("dossiers:draft_form", args=[draft.pk])
    # Page 3 (the parents) skipped by a hand-made request: the review refuses the submission and
    # its "Sửa" opens page 3, which then returns to the review.
    for number in (1, 2, 4):
        citizen_client.post(
            f"{url}?page={number}",
            {**APPLICANT, **{k: v for k, v in CHILD.items() if k != "data-mother_name"}, "action": "next"},
        )
    review_url = reverse("dossiers:draft_review", args=[draft.pk])
    review = citizen_client.get(review_url).content.decode()
    for number, title in enumerate(PAGES, 1):
        assert f'href="{url}?page={number}&amp;return=review">Sửa “{title}”</a>' in review
    response = citizen_client.post(review_url, {"declaration": "on", "delivery_method": "online"})
    assert response.status_code == 400
    page = response.content.decode()
    # The error summary links to the field itself, on the page that asks for it.
    assert f'href="{url}?page=3&amp;return=review#id_data-mother_name">' in page
    draft.refresh_from_db()
    assert draft.state == "draft" and not draft.code
    response = citizen_client.post(f"{url}?page=3&return=review", {"data-mother_name": "Trần Thị Mẹ", "action": "next"})
    assert response.status_code == 302 and response["Location"] == review_url


def test_a_short_form_stays_on_one_page(client):
    version = OnlineVersionFactory(form_schema={"fields": [{"name": "note", "type": "text", "label": "Ghi chú"}]})
    person = CitizenProfileFactory()
    client.force_login(person.user)
    client.post(f"/dossiers/new/{version.procedure.code}/", {"on_behalf_of": ""})
    draft = Dossier.objects.latest("pk")
    url = reverse("dossiers:draft_form", args=[draft.pk])
    page = client.get(url).content.decode()
    assert "Trang 1/" not in page and '<h2 class="h5">Tờ khai</h2>' in page
    response = client.post(url, {"data-note": "x", "action": "next"})
    assert response["Location"] == reverse("dossiers:draft_documents", args=[draft.pk])
    assert (
        f'href="{url}?return=review">Sửa</a>'
        in client.get(reverse("dossiers:draft_review", args=[draft.pk])).content.decode()
    )
