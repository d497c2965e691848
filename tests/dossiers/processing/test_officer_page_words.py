"""Issue 18: the officer's dossier page in Vietnamese carries no English or technical text (no
raw action names, no "(grant)", no date-format hints), its buttons are coloured by what the
action means, and the assignee, department and agency are picked from lists."""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from dossiers import services
from dossiers.actions import ACTIONS, DANGER, PRIMARY, SECONDARY
from dossiers.models import Dossier
from tests.dossiers.factories import (
    DossierDocumentFactory,
    DossierFactory,
    Team,
    refresh,
    to_pending,
    to_processing,
    to_resolved,
)
from tests.factories import with_totp

pytestmark = pytest.mark.django_db

BANNED = ("(grant)", "(decline)", "YYYY", "Định dạng", "requirement_id", "Ví dụ: 000", "Mã cơ quan được xin")
# Raw action names, and the English words some of them are, as whole words of the visible text.
RAW_WORDS = sorted({*ACTIONS, "grant", "counter", "online", "post", "None", "True", "False"})


class _VisibleText(HTMLParser):
    """The text a reader sees or hears: data outside script and style, and the attributes read
    out (placeholder, title, aria-label, alt)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        self.parts += [v for k, v in attrs if k in ("placeholder", "title", "aria-label", "alt") and v]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def _received(dossier, team):
    services.dossier_receive(user=team.reception, dossier_id=dossier.pk)


def _due_soon(dossier, team):
    to_processing(dossier, team)
    Dossier.objects.filter(pk=dossier.pk).update(due_at=timezone.now() + dt.timedelta(hours=1))


# (setup, who): between them every officer form of the page is drawn.
PAGES = [
    (None, "reception"),
    (_received, "head"),
    (_received, "leader"),
    (to_processing, "specialist"),
    (_due_soon, "head"),
    (to_pending, "leader"),
    (to_resolved, "reception"),
]


def _page(client, setup, who):
    dossier = DossierFactory()
    DossierDocumentFactory(dossier=dossier)
    team = Team(dossier.receiving_agency)
    if setup:
        setup(dossier, team)
    client.force_login(with_totp(getattr(team, who)))
    response = client.get(f"/officer/dossiers/{dossier.code}/")
    assert response.status_code == 200
    return refresh(dossier), team, response.content.decode()


@pytest.mark.parametrize(("setup", "who"), PAGES)
def test_the_vietnamese_page_carries_no_english_nor_technical_text(client, setup, who):
    _dossier, _team, html = _page(client, setup, who)
    assert 'id="action-' in html
    text = visible_text(html)
    for banned in BANNED:
        assert banned not in text, banned
    for word in RAW_WORDS:
        assert not re.search(rf"(?<![\w.@-]){re.escape(word)}(?![\w.@-])", text), word


def test_a_refused_action_shows_no_english_either(client):
    dossier, _team, _html = _page(client, _due_soon, "head")
    response = client.post(
        f"/officer/dossiers/{dossier.code}/actions/apology/",
        {"reason": "Cần xác minh thêm", "new_due_at": "31/13/2026"},
    )
    assert response.status_code == 400
    text = visible_text(response.content.decode())
    assert "ngày/tháng/năm, ví dụ 31/12/2026" in text
    for banned in BANNED:
        assert banned not in text, banned


def test_a_date_in_vietnamese_order_is_accepted(client):
    dossier, _team, _html = _page(client, _due_soon, "head")
    day = timezone.localdate(dossier.due_at) + dt.timedelta(days=7)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    response = client.post(
        f"/officer/dossiers/{dossier.code}/actions/apology/",
        {"reason": "Cần xác minh thêm", "new_due_at": day.strftime("%d/%m/%Y")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert timezone.localdate(refresh(dossier).due_at) == day


def test_the_date_field_is_a_date_input(client):
    _dossier, _team, html = _page(client, _due_soon, "head")
    assert re.search(r'<input[^>]*type="date"[^>]*id="apology-new_due_at"', html)


TONES = {
    "receive": PRIMARY,
    "approve": PRIMARY,
    "propose": PRIMARY,
    "return_result": PRIMARY,
    "hand_over": PRIMARY,  # the centre's step forward (receipt anywhere)
    "refuse": DANGER,
    "stop": DANGER,
    "decline": DANGER,
    "withdraw_reject": DANGER,
}


def test_each_action_declares_its_tone_on_its_row():
    for name, action in ACTIONS.items():
        assert action.tone == TONES.get(name, SECONDARY), name


@pytest.mark.parametrize(("setup", "who"), PAGES)
def test_buttons_are_coloured_by_meaning(client, setup, who):
    _dossier, _team, html = _page(client, setup, who)
    forms = re.findall(r'<details[^>]*id="action-(\w+)"(.*?)</details>', html, re.S)
    assert forms
    for name, body in forms:
        tones = re.findall(r'<button class="btn btn-(\w+) action-submit"', body)
        # A form has its one button, unless it links to a page of its own (the supplement request).
        assert tones == [TONES.get(name, SECONDARY)] or (not tones and "btn-outline-secondary" in body), name


def test_the_assignee_and_department_are_selects(client):
    _dossier, team, html = _page(client, _received, "head")
    assignee = re.search(r'<select[^>]*id="assign-assignee"[^>]*>(.*?)</select>', html, re.S)
    assert assignee and str(team.specialist.pk) in assignee.group(1)
    assert re.search(r'<select[^>]*id="assign-department"', html)
