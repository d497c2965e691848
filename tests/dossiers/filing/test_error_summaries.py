"""The GOV.UK error summary on the documents and review steps (issue 19): "Lỗi: " at the start
of the title, a summary at the top that takes the focus (tabindex=-1, focused by portal.js),
and a link from each error to what must be fixed."""

import lxml.html
import pytest
from django.conf import settings
from django.urls import reverse

from tests.dossiers.filing import test_filing_pages as pages
from tests.dossiers.filing.test_filing_pages import citizen_client, profile  # noqa: F401 - fixtures
from tests.procedures.conftest import demo_agencies, demo_catalogue  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _summary(response):
    tree = lxml.html.fromstring(response.content.decode())
    summary = tree.get_element_by_id("error-summary")
    return tree, summary, [a.get("href") for a in summary.iter("a")]


def _paper(draft):
    return draft.procedure_version.documents.filter(required=True, from_form=False).order_by("order", "pk").first()


def test_the_documents_step_title_says_error_and_the_summary_links_to_the_input(citizen_client, demo_catalogue):  # noqa: F811
    draft = pages._start(citizen_client)
    url = reverse("dossiers:draft_documents", args=[draft.pk])
    page = citizen_client.get(url).content.decode()
    assert "<title>Giấy tờ" in page and 'id="error-summary"' not in page
    paper = _paper(draft)
    response = citizen_client.post(
        url, {f"documents[{paper.pk}]": pages._file(b"not a pdf\n" * 50, "x.pdf"), "action": "next"}
    )
    assert response.status_code == 400
    tree, summary, links = _summary(response)
    assert tree.findtext(".//title").startswith("Lỗi: Giấy tờ")
    assert summary.get("tabindex") == "-1" and summary.get("role") == "alert"
    assert f"#id_documents[{paper.pk}]" in links
    assert tree.get_element_by_id(f"id_documents[{paper.pk}]").get("name") == f"documents[{paper.pk}]"


def test_the_review_page_without_errors_has_no_summary(citizen_client, demo_catalogue):  # noqa: F811
    draft = pages._start(citizen_client)
    assert pages._form_post(citizen_client, draft).status_code == 302
    assert pages._upload_all(citizen_client, draft).status_code == 302
    page = citizen_client.get(reverse("dossiers:draft_review", args=[draft.pk])).content.decode()
    assert "<title>Xem lại và nộp" in page and 'id="error-summary"' not in page


def test_the_review_summary_links_to_each_failing_item_and_takes_the_focus(citizen_client, demo_catalogue):  # noqa: F811
    draft = pages._start(citizen_client)
    # A wrong ID number kept in the draft, and the birth paper never uploaded.
    assert pages._form_post(citizen_client, draft, {"data-requester_id": "12"}).status_code == 400
    response = citizen_client.post(
        reverse("dossiers:draft_review", args=[draft.pk]), {"delivery_method": "post", "delivery_phone": "12"}
    )
    assert response.status_code == 400
    tree, summary, links = _summary(response)
    assert tree.findtext(".//title").startswith("Lỗi: Xem lại và nộp")
    assert summary.get("tabindex") == "-1" and summary.get("role") == "alert"
    assert summary.get("aria-labelledby") == "error-summary-title"
    # The summary comes first, before the answers and the form.
    html = response.content.decode()
    assert html.index('id="error-summary"') < html.index('id="submit-form"')
    # On this page: the declaration and the delivery inputs, each an element of the page.
    for href in ("#id_declaration", "#id_delivery_recipient", "#id_delivery_address", "#id_delivery_phone"):
        assert href in links, links
        assert tree.get_element_by_id(href[1:]) is not None
    # The delivery accepted: the submission's own checks, each on the step that asks for it,
    # the form field on its page and the document's upload input.
    response = citizen_client.post(reverse("dossiers:draft_review", args=[draft.pk]), {"delivery_method": "online"})
    assert response.status_code == 400
    tree, summary, links = _summary(response)
    assert "#id_declaration" in links
    form_url = reverse("dossiers:draft_form", args=[draft.pk])
    assert f"{form_url}?page=1&return=review#id_data-requester_id" in links, links
    paper = _paper(draft)
    documents_url = reverse("dossiers:draft_documents", args=[draft.pk])
    assert f"{documents_url}#id_documents[{paper.pk}]" in links, links
    # Every error is a link, and the document's is named once.
    assert len(links) == len(summary.findall(".//li"))
    paper_link = next(a for a in summary.iter("a") if a.get("href").endswith(f"#id_documents[{paper.pk}]"))
    assert paper_link.text_content().count(paper.name) == 1


def test_the_review_summary_in_english(citizen_client, demo_catalogue):  # noqa: F811
    draft = pages._start(citizen_client)
    citizen_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = citizen_client.post(reverse("dossiers:draft_review", args=[draft.pk]), {})
    assert response.status_code == 400
    tree, summary, links = _summary(response)
    assert tree.findtext(".//title").startswith("Error: ")
    assert "there is a problem" in summary.text_content()
    assert "#id_declaration" in links
