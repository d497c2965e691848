"""axe-core over the portal's pages (issue 19): no serious or critical WCAG 2.1 AA finding, and
no sideways scroll (on a phone, nor on a laptop), in Vietnamese and in English, at 1280 px and at 360 px.

Four audiences, one test each per language: the public (home, catalogue, a procedure, tracking,
signature check, public statistics, sign-in and sign-up, a form with errors, 404), the citizen
(their dossiers, a dossier, the document store, account, notifications, organisations, the first
filing step, the 403 of an officer's page), the officers (home, reception, worklists, a dossier,
intake, register, search) and the leaders' statistics. Every page is scanned at both widths; a
test collects every finding before failing, so one run lists them all.
"""

import re

import pytest
from playwright.sync_api import expect

from dossiers.models import Dossier
from portal.constants import OfficerRole
from tests.dossiers.factories import DossierFactory, Team, to_processing
from tests.e2e.a11y import axe_findings, overflow, overflow_culprits
from tests.e2e.factories import _load_demo_catalogue
from tests.factories import CitizenProfileFactory, OfficerMembershipFactory

WIDTHS = (1280, 360)
HEIGHT = 800
LANGUAGES = ("vi", "en")
SCANNED: set[tuple[str, str]] = set()  # (language, page name): the coverage test counts them
STARTED: set[tuple[str, str]] = set()  # (scan, language) begun in this process
SCANS = ("public", "citizen", "officer", "statistics")


def _choose(page, language: str) -> None:
    """Choose the language with the header's selector, as a person does (issue 19: English only by
    explicit choice; the choice is remembered in the cookie and, signed in, in the profile)."""
    if page.locator("html").get_attribute("lang") != language:
        page.select_option("#language-switch", language)
        with page.expect_navigation():
            page.click("#language-submit")
    expect(page.locator("html")).to_have_attribute("lang", language)


def _scan(page, scan: str, language: str, pages: list[tuple[str, object]]) -> list[str]:
    """Open each page (a path, or a callable that brings the browser to it) at each width."""
    STARTED.add((scan, language))
    problems = []
    for name, target in pages:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": HEIGHT})
            if callable(target):
                target(page)
            else:
                page.goto(target)
            expect(page.locator("html")).to_have_attribute("lang", language)
            where = f"[{language} {width}px] {name} ({page.url})"
            problems += [f"{where}: {line}" for line in axe_findings(page)]
            if (extra := overflow(page)) > 0:
                problems.append(f"{where}: wider than the screen by {extra} px: {', '.join(overflow_culprits(page))}")
        SCANNED.add((language, name))
    return problems


def _report(problems: list[str]) -> str:
    return f"{len(problems)} finding(s):\n" + "\n".join(problems)


def _form_with_errors(page):
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "nguoi-dung@example.com")
    page.fill("input[name=password1]", "123")
    page.fill("input[name=password2]", "456")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    expect(page.locator("main .is-invalid, main .errorlist, main .invalid-feedback").first).to_be_visible()


def _draft(page) -> str:
    """The form step's URL of a draft of the birth registration, begun as a citizen begins one
    (step 1, then "Tiếp tục"), once per test: the later pages open the same draft."""
    if not getattr(page, "_draft_url", None):
        page.goto("/dossiers/new/1.001193/")
        if "/form/" not in page.url:  # step 1 asks something: its defaults are kept
            with page.expect_navigation():
                page.locator("main form button.btn-danger[type=submit]").click()
        assert re.search(r"/dossiers/drafts/\d+/form/", page.url), page.url
        page._draft_url = page.url.split("?")[0]
    return page._draft_url


@pytest.fixture
def demo():
    """The demo catalogue, a citizen with a dossier in processing and the receiving ward's team."""
    _load_demo_catalogue()
    profile = CitizenProfileFactory(full_name="Nguyễn Văn Cha", phone="0912345678")
    dossier = DossierFactory(applicant=profile.user, applicant_name="Nguyễn Văn Cha")
    team = Team(dossier.receiving_agency)
    to_processing(dossier, team)
    DossierFactory(applicant=profile.user, procedure_version=dossier.procedure_version, applicant_name="Nguyễn Văn Cha")
    return profile, Dossier.objects.get(pk=dossier.pk), team


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages(page, demo, language):
    _, dossier, _ = demo
    page.goto("/")
    _choose(page, language)
    problems = _scan(
        page,
        "public",
        language,
        [
            ("home", "/"),
            ("catalogue", "/procedures/"),
            ("search", "/procedures/?q=dang+ky+khai+sinh"),
            ("procedure", "/procedures/1.001193/"),
            ("procedure with fees", "/procedures/1.004873/"),
            ("tracking", "/track/"),
            ("tracking result", f"/track/?code={dossier.code}"),
            ("tracking, unknown code", "/track/?code=000.00.00.X00-000000-0000"),
            ("bulk tracking", "/track/bulk/"),
            ("signature check", "/verify/"),
            ("public statistics", "/thong-ke/"),
            ("sign in", "/accounts/login/"),
            ("sign up, form with errors", _form_with_errors),
            ("404", "/khong-co-trang-nay/"),
        ],
    )
    assert not problems, _report(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_citizen_pages(page, login, demo, language):
    profile, dossier, _ = demo
    login(profile.user)
    _choose(page, language)
    problems = _scan(
        page,
        "citizen",
        language,
        [
            ("my dossiers", "/dossiers/"),
            ("my dossier", f"/dossiers/{dossier.code}/"),
            ("document store", "/dossiers/store/"),
            ("account", "/account/"),
            ("profile", "/account/profile/"),
            ("notifications", "/notifications/"),
            ("organisations", "/organisations/"),
            ("filing, first step", "/dossiers/new/1.001193/"),
            ("filing, a middle page of the form", lambda p: p.goto(f"{_draft(p)}?page=2")),
            ("filing, review with its change links", lambda p: p.goto(_draft(p).replace("/form/", "/review/"))),
            ("403", "/officer/"),
        ],
    )
    assert not problems, _report(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_officer_pages(page, login, activate_totp, demo, language):
    _, dossier, team = demo
    officer = team.head
    OfficerMembershipFactory(user=officer, agency=team.agency, role=OfficerRole.RECEPTION)
    activate_totp(officer)
    login(officer)
    _choose(page, language)
    problems = _scan(
        page,
        "officer",
        language,
        [
            ("officer home", "/officer/"),
            ("reception queue", "/officer/reception/"),
            ("worklists", "/officer/worklists/"),
            ("a worklist", "/officer/worklists/reception/"),
            ("officer's dossier", f"/officer/dossiers/{dossier.code}/"),
            ("control sheet", f"/officer/dossiers/{dossier.code}/control-sheet/"),
            ("counter intake", "/officer/intake/"),
            ("register", "/officer/register/"),
            ("officer search", f"/officer/search/?q={dossier.code}"),
        ],
    )
    assert not problems, _report(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_statistics_pages(page, login, activate_totp, hand_built, language):
    agency, _ = hand_built
    leader = OfficerMembershipFactory(agency=agency, role=OfficerRole.LEADER).user
    activate_totp(leader)
    login(leader)
    _choose(page, language)
    period = "date_from=2026-03-09&date_to=2026-03-20"
    problems = _scan(
        page,
        "statistics",
        language,
        [
            ("statistics dashboard", f"/officer/stats/?{period}"),
            ("statistics, dossiers behind a figure", f"/officer/stats/dossiers/?{period}&figure=received"),
            ("statistics subscriptions", "/officer/stats/subscriptions/"),
        ],
    )
    assert not problems, _report(problems)


def test_at_least_25_pages_were_scanned_in_each_language():
    """Runs after the scans above (same module, in order): the coverage the issue asks for."""
    if not SCANNED:
        pytest.skip("run with the scans above")
    for language in LANGUAGES:
        if not all((scan, language) in STARTED for scan in SCANS):
            continue  # a parallel run gave some scans to another process: counted where all ran
        names = {name for lang, name in SCANNED if lang == language}
        assert len(names) >= 25, (language, sorted(names))
