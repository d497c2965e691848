"""The English translation (locale/en): complete, faithful to placeholders, compiled, and served.

Vietnamese is the source language: every msgid is Vietnamese and English comes from
`locale/en/LC_MESSAGES/django.po`. `locale/vi` holds hand-made Vietnamese translations of
django-allauth's English strings and is never regenerated with makemessages.

When a test here fails because new strings were added, run
`manage.py makemessages -l en --ignore=.venv --ignore=staticfiles --ignore=node_modules`,
translate the msgids the failure names, then
`manage.py compilemessages -l en -l vi --ignore=.venv`.
"""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from django.utils.translation.template import templatize

from portal.validators import validate_citizen_id, validate_tax_code
from tests.factories import PASSWORD, UserFactory
from tests.procedures.factories import ProcedureVersionFactory

BASE_DIR = Path(settings.BASE_DIR)
EN_PO = BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
EN_MO = EN_PO.with_suffix(".mo")
VI_PO = BASE_DIR / "locale" / "vi" / "LC_MESSAGES" / "django.po"
VI_MO = VI_PO.with_suffix(".mo")

FIX_HINT = (
    "Run `manage.py makemessages -l en --ignore=.venv --ignore=staticfiles --ignore=node_modules`, "
    "translate these msgids in locale/en/LC_MESSAGES/django.po, then "
    "`manage.py compilemessages -l en -l vi --ignore=.venv`."
)


# --- A tiny .po parser (polib is not a dependency) -------------------------------------------

_KEYWORD_RE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')


def _unquote(literal: str) -> str:
    # PO string escapes (\\, \", \n, \t) are a subset of Python's; the literal comes from our own file.
    return ast.literal_eval(literal)


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file (the header included, obsolete `#~` entries left out).

    Each entry: msgctxt (or None), msgid, msgid_plural (or None), msgstr (dict index -> text),
    flags (set) and refs (list of "path:line").
    """
    entries: list[dict] = []
    entry: dict | None = None
    target: tuple[str, int | None] | None = None

    def new_entry() -> dict:
        return {"msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": {}, "flags": set(), "refs": []}

    def flush() -> None:
        nonlocal entry, target
        if entry is not None and entry["msgid"] is not None and not entry.get("obsolete"):
            entries.append(entry)
        entry, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if entry is None:
            entry = new_entry()
        if line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(",") if flag.strip())
        elif line.startswith("#:"):
            entry["refs"].extend(line[2:].split())
        elif line.startswith("#"):
            continue
        elif match := _KEYWORD_RE.match(line):
            keyword, index, literal = match.groups()
            if keyword.startswith("msgid") and entry["msgid"] is not None and keyword == "msgid":
                # A new entry without a blank line in between.
                flush()
                entry = new_entry()
            if keyword.startswith("msgstr"):
                key = int(index) if index is not None else 0
                entry["msgstr"][key] = _unquote(literal)
                target = ("msgstr", key)
            else:
                entry[keyword] = _unquote(literal)
                target = (keyword, None)
        elif line.startswith('"') and target is not None:
            name, key = target
            if name == "msgstr":
                entry["msgstr"][key] += _unquote(line)
            else:
                entry[name] += _unquote(line)
        else:
            raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    flush()
    return entries


def _messages(entries: list[dict]) -> list[dict]:
    return [e for e in entries if e["msgid"] != ""]


def _describe(entry: dict) -> str:
    where = f" ({entry['refs'][0]})" if entry["refs"] else ""
    return f"{entry['msgid']!r}{where}"


@pytest.fixture(scope="module")
def en_entries() -> list[dict]:
    assert EN_PO.exists(), f"{EN_PO} is missing. {FIX_HINT}"
    return parse_po(EN_PO)


def test_parser_reads_multiline_plural_and_flags(tmp_path):
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#: a.py:1\n#, fuzzy, python-format\nmsgid ""\n"Dòng một "\n"và \\"hai\\"\\n"\nmsgstr "Line %(x)s"\n\n'
        'msgid "Có %(counter)s lỗi"\nmsgid_plural "Có %(counter)s lỗi"\n'
        'msgstr[0] "%(counter)s error"\nmsgstr[1] "%(counter)s errors"\n\n'
        '#~ msgid "cũ"\n#~ msgstr "old"\n',
        encoding="utf-8",
    )
    header, first, plural = parse_po(po)
    assert header["msgstr"][0] == "Language: en\n"
    assert first["msgid"] == 'Dòng một và "hai"\n'
    assert first["flags"] == {"fuzzy", "python-format"}
    assert first["refs"] == ["a.py:1"]
    assert plural["msgid_plural"] == "Có %(counter)s lỗi"
    assert plural["msgstr"] == {0: "%(counter)s error", 1: "%(counter)s errors"}


# --- (a) the English catalogue is complete ---------------------------------------------------


def test_en_header_is_final(en_entries):
    header = en_entries[0]
    assert header["msgid"] == ""
    # msgfmt ignores a fuzzy header, and with it the charset and the plural rule.
    assert "fuzzy" not in header["flags"]
    assert "Language: en\n" in header["msgstr"][0]
    assert "charset=UTF-8" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"][0]


def test_en_catalogue_has_no_untranslated_or_fuzzy_entries(en_entries):
    messages = _messages(en_entries)
    assert len(messages) > 500, "the English catalogue looks truncated"
    untranslated = [e for e in messages if not e["msgstr"] or not all(e["msgstr"].values())]
    fuzzy = [e for e in messages if "fuzzy" in e["flags"]]
    problems = [f"untranslated: {_describe(e)}" for e in untranslated] + [f"fuzzy: {_describe(e)}" for e in fuzzy]
    assert not problems, f"{len(problems)} English entries need work:\n" + "\n".join(problems) + "\n" + FIX_HINT


def test_en_plural_entries_have_both_forms(en_entries):
    plurals = [e for e in _messages(en_entries) if e["msgid_plural"] is not None]
    assert plurals, "expected plural entries (blocktranslate count)"
    for entry in plurals:
        assert sorted(entry["msgstr"]) == [0, 1], _describe(entry)
        assert entry["msgstr"][0] != entry["msgstr"][1], f"singular and plural are identical: {_describe(entry)}"


def test_en_translations_are_english(en_entries):
    """A msgstr still holding Vietnamese letters was copied, not translated.

    Only proper names may keep their diacritics (Nghị định ... NĐ-CP, Quyết định .../QĐ-TTg, the
    portal's name).
    """
    vietnamese_letters = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)
    allowed_names = re.compile(r"\d+/\d{4}/NĐ-CP|\d+/QĐ-TTg|Cổng Dịch vụ công")
    suspicious = [
        _describe(e)
        for e in _messages(en_entries)
        if any(vietnamese_letters.search(allowed_names.sub("", text)) for text in e["msgstr"].values())
    ]
    assert not suspicious, "msgstr with Vietnamese text:\n" + "\n".join(suspicious)


# Source strings that makemessages would extract, found without gettext tools: the Python
# files through `ast`, the templates through Django's own `templatize`.
_PY_FUNCS = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy", "_lazy"}
_PY_CONTEXT_FUNCS = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}
_STRING = r"u?(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
_TEMPLATE_CALL_RE = re.compile(rf"(?<![\w.])(_|n?p?gettext)\(((?:{_STRING}\s*,?\s*)+)")
_TEMPLATE_LITERAL_RE = re.compile(r"u?('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")
_SKIP_DIRS = {"node_modules", "staticfiles", "locale", "htmlcov"}


def _source_files(*suffixes: str):
    for path in BASE_DIR.rglob("*"):
        relative = path.relative_to(BASE_DIR)
        if any(part.startswith(".") or part in _SKIP_DIRS for part in relative.parts[:-1]):
            continue
        if path.suffix in suffixes and path.is_file():
            yield path


def _python_msgids(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        args = node.args
        if name in _PY_CONTEXT_FUNCS and len(args) >= 2:
            context, args = args[0], args[1:]
            context_value = context.value if isinstance(context, ast.Constant) else None
        elif name in _PY_FUNCS:
            context_value = None
        else:
            continue
        if isinstance(args[0], ast.Constant) and isinstance(args[0].value, str) and args[0].value:
            yield context_value, args[0].value, f"{path.relative_to(BASE_DIR)}:{node.lineno}"


def _template_msgids(path: Path):
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    for match in _TEMPLATE_CALL_RE.finditer(code):
        func, arguments = match.groups()
        literals = [ast.literal_eval(lit) for lit in _TEMPLATE_LITERAL_RE.findall(arguments)]
        context = literals.pop(0) if func in ("pgettext", "npgettext") and literals else None
        if literals and literals[0]:
            line = code.count("\n", 0, match.start()) + 1
            yield context, literals[0], f"{path.relative_to(BASE_DIR)}:{line}"


def test_every_source_string_is_in_the_en_catalogue(en_entries):
    """New `_()` / `{% translate %}` strings not yet in locale/en fail here, by name."""
    known = {(e["msgctxt"], e["msgid"]) for e in _messages(en_entries)}
    found = []
    for path in _source_files(".py"):
        found.extend(_python_msgids(path))
    for path in _source_files(".html", ".txt"):
        found.extend(_template_msgids(path))
    assert len(found) > 500, "the source scan found too few strings; the scanner is broken"
    missing: dict[str, str] = {}
    for context, msgid, where in sorted(found, key=lambda item: item[2]):
        if (context, msgid) not in known:
            missing.setdefault(msgid, where)
    assert not missing, (
        f"{len(missing)} source strings are not in the English catalogue:\n"
        + "\n".join(f"{msgid!r} ({where})" for msgid, where in sorted(missing.items()))
        + "\n"
        + FIX_HINT
    )


# --- (b) placeholders and markup survive translation ----------------------------------------

_PLACEHOLDER_RE = re.compile(r"%(?:\([^)]+\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
_HTML_TAG_RE = re.compile(r"</?(?:a|abbr|b|br|code|em|i|kbd|li|p|small|span|strong|ul|ol)\b[^>]*>")


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER_RE.findall(text.replace("%%", "")))


def test_placeholder_regex():
    text = "%(name)s is %(size).1f MB, %d of %s; 100%% done"
    assert _placeholders(text) == sorted(["%(name)s", "%(size).1f", "%d", "%s"])


def test_en_translations_keep_python_format_placeholders(en_entries):
    problems = []
    for entry in _messages(en_entries):
        sources = [entry["msgid"]] + ([entry["msgid_plural"]] if entry["msgid_plural"] else [])
        is_python_format = "python-format" in entry["flags"] or any(_placeholders(s) for s in sources)
        for index, translated in entry["msgstr"].items():
            if not translated:
                continue  # reported by the completeness test
            source = sources[min(index, len(sources) - 1)]
            if is_python_format and _placeholders(translated) != _placeholders(source):
                problems.append(f"{_describe(entry)} [{index}]: {_placeholders(source)} != {_placeholders(translated)}")
            if sorted(_HTML_TAG_RE.findall(translated)) != sorted(_HTML_TAG_RE.findall(source)):
                problems.append(f"{_describe(entry)} [{index}]: HTML markup differs")
            if source.endswith("\n") != translated.endswith("\n") or source.count("\n") != translated.count("\n"):
                problems.append(f"{_describe(entry)} [{index}]: line breaks differ")
    assert not problems, "\n".join(problems)


# --- (c) pages and messages come out in the requested language ------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        (
            "en",
            [
                "Online public services",
                "Find a procedure",
                "Track a dossier",
                "Sign in",
                "Browse the procedure catalogue",
            ],
            ["Dịch vụ công trực tuyến", "Tìm thủ tục"],
        ),
        ("vi", ["Dịch vụ công trực tuyến", "Tìm thủ tục", "Tra cứu hồ sơ", "Đăng nhập"], ["Online public services"]),
    ],
)
def test_home_page_language(client, language, expected, absent):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # the visitor's choice
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Language"] == language
    html = response.content.decode()
    for phrase in expected:
        assert phrase in html, phrase
    for phrase in absent:
        assert phrase not in html, phrase


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        (
            "en",
            ["Administrative procedures", "1 procedure found.", "Fully online", "Procedure name or code", "All fields"],
            ["Thủ tục hành chính", "Tìm thấy", "Toàn trình"],
        ),
        ("vi", ["Thủ tục hành chính", "Tìm thấy 1 thủ tục.", "Toàn trình", "Tất cả lĩnh vực"], ["procedure found"]),
    ],
)
def test_procedure_list_language(client, language, expected, absent):
    ProcedureVersionFactory(procedure__name="Đăng ký khai sinh")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/procedures/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Đăng ký khai sinh" in html  # data stays as entered
    for phrase in expected:
        assert phrase in html, phrase
    for phrase in absent:
        assert phrase not in html, phrase


@pytest.mark.django_db
def test_procedure_list_plural_in_english(client):
    ProcedureVersionFactory.create_batch(2)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/procedures/").content.decode()
    assert "2 procedures found." in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        ("en", ["Sign In", "Password", "Language"], ["Đăng nhập", "Mật khẩu"]),
        ("vi", ["Đăng nhập", "Mật khẩu", "Ngôn ngữ"], ["Sign In", "Password"]),
    ],
)
def test_login_page_language(client, language, expected, absent):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    for phrase in expected:
        assert phrase in html, phrase
    for phrase in absent:
        assert phrase not in html, phrase


@pytest.mark.django_db
def test_language_cookie_switches_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert "Online public services" in html


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["en", "en-US,en;q=0.9", "fr, en;q=0.5"])
def test_the_browser_language_does_not_choose_for_the_visitor(client, header):
    """Vietnamese whatever the browser says (a Vietnamese phone set to English, issue 19)."""
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=header)
    assert response["Content-Language"] == "vi"
    assert "Dịch vụ công trực tuyến" in response.content.decode()


@pytest.mark.django_db
def test_an_api_client_chooses_its_language_by_header(client):
    response = client.get("/api/v1/dossiers/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code in (401, 403)
    assert response["Content-Language"] == "en"
    vietnamese = client.get("/api/v1/dossiers/")
    assert vietnamese["Content-Language"] == "vi"


@pytest.mark.django_db
def test_the_choice_is_kept_in_the_profile_and_follows_the_person(client):
    user = UserFactory()
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"
    # A new browser: signing in brings the choice back as the cookie.
    other = Client()
    response = other.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Online public services" in other.get("/").content.decode()


@pytest.mark.django_db
def test_a_choice_made_before_signing_in_goes_into_the_profile(client):
    user = UserFactory()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    user.refresh_from_db()
    assert user.language == "en"


@pytest.mark.django_db
def test_an_unknown_language_changes_nothing(client):
    user = UserFactory()
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == "vi"
    assert client.get("/")["Content-Language"] == "vi"


def _validation_messages(validator, value) -> list[str]:
    with pytest.raises(ValidationError) as excinfo:
        validator(value)
    return list(excinfo.value.messages)


@pytest.mark.parametrize(
    ("language", "expected_format", "expected_province", "expected_tax"),
    [
        (
            "en",
            "The personal identification number (citizen ID) must have exactly 12 digits.",
            "The first three digits of the citizen ID number (003) are not a valid province code.",
            "Tax code 0100109107 is invalid (wrong check digit).",
        ),
        (
            "vi",
            "Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số.",
            "Ba chữ số đầu của số CCCD (003) không phải mã tỉnh hợp lệ.",
            "Mã số thuế 0100109107 không hợp lệ (sai chữ số kiểm tra).",
        ),
    ],
)
def test_validator_messages_language(language, expected_format, expected_province, expected_tax):
    with translation.override(language):
        assert _validation_messages(validate_citizen_id, "12345") == [expected_format]
        assert _validation_messages(validate_citizen_id, "003012345678") == [expected_province]
        assert _validation_messages(validate_tax_code, "0100109107") == [expected_tax]


def test_lazy_labels_follow_the_active_language():
    from procedures.constants import ServiceLevel

    with translation.override("en"):
        assert str(ServiceLevel.FULL.label) == "Fully online"
        assert str(ServiceLevel.PARTIAL.label) == "Partly online"
    with translation.override("vi"):
        assert str(ServiceLevel.FULL.label) == "Toàn trình"


# --- (d) the committed .mo files are compiled from the current .po files --------------------


def _assert_mo_matches_po(po_path: Path, mo_path: Path) -> int:
    assert mo_path.exists(), f"{mo_path} is missing. {FIX_HINT}"
    with mo_path.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    stale = []
    checked = 0
    for entry in _messages(parse_po(po_path)):
        if "fuzzy" in entry["flags"] or not entry["msgstr"] or not all(entry["msgstr"].values()):
            continue  # msgfmt leaves these out
        checked += 1
        context = entry["msgctxt"]
        if entry["msgid_plural"] is None:
            if context is None:
                got = catalogue.gettext(entry["msgid"])
            else:
                got = catalogue.pgettext(context, entry["msgid"])
            if got != entry["msgstr"][0]:
                stale.append(f"{_describe(entry)}: .mo has {got!r}")
        else:
            for n in (1, 2, 5):
                index = catalogue.plural(n)  # the .mo's own plural rule (vi has a single form)
                if context is None:
                    got = catalogue.ngettext(entry["msgid"], entry["msgid_plural"], n)
                else:
                    got = catalogue.npgettext(context, entry["msgid"], entry["msgid_plural"], n)
                if got != entry["msgstr"][index]:
                    stale.append(f"{_describe(entry)} (n={n}): .mo has {got!r}")
    assert not stale, (
        f"{mo_path} is older than {po_path.name}:\n"
        + "\n".join(stale[:50])
        + "\nRun `manage.py compilemessages -l en -l vi --ignore=.venv`."
    )
    return checked


def test_en_mo_is_compiled_from_the_current_po():
    assert _assert_mo_matches_po(EN_PO, EN_MO) > 500


def test_vi_mo_is_compiled_from_the_current_po():
    assert _assert_mo_matches_po(VI_PO, VI_MO) > 0


def test_en_mo_translates_known_strings():
    with EN_MO.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert catalogue.gettext("Hồ sơ") == "Dossiers"
    assert catalogue.gettext("mã hồ sơ") == "dossier code"
    assert catalogue.gettext("Toàn trình") == "Fully online"
    assert catalogue.gettext("Phí, lệ phí") == "Fees and charges"
    assert catalogue.ngettext("Tìm thấy %(counter)s thủ tục.", "Tìm thấy %(counter)s thủ tục.", 1) == (
        "%(counter)s procedure found."
    )
    assert catalogue.ngettext("Tìm thấy %(counter)s thủ tục.", "Tìm thấy %(counter)s thủ tục.", 3) == (
        "%(counter)s procedures found."
    )
