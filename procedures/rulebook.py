"""The rulebook of the one-stop mechanism (cơ chế một cửa, một cửa liên thông), dated.

A dossier is handled under the rules in force on the day it was received (or submitted, while
it has not been received yet). What changes from one rule set to the next is wording and
numbering: the legal citations printed on pages, slips and e-mails, the official forms (their
numbers and titles), and the articles that set the dossier code and the sector codes. Each set
carries its effective date; the set in force on a day is the latest one that took effect on or
before it.

The sets known when this was written are built in (``BUILT_IN``); an administrator adds a later
one without a code change as a ``procedures.RuleSet`` row (admin), whose blank fields keep the
wording of the set before it. A form the set does not have (the stop notice before Circular
03/2025) is not issued for dossiers under that set.

Sources, and what was not at hand:
- Decree 61/2018/NĐ-CP (23 April 2018, in force 21 June 2018), amended by Decree 107/2021/NĐ-CP;
  replaced by Decree 118/2025/NĐ-CP (9 June 2025, in force 1 July 2025). The decrees' own text
  was not at hand when this was written: the effective dates are those of the project's design
  reference; the citations are configurable.
- Circular 01/2018/TT-VPCP (23 November 2018): forms 01 to 06 (05 the process control sheet,
  06 the dossier register); dossier code in its article 19.
- Circular 03/2025/TT-VPCP (15 September 2025), Annex I, seven forms: 01 Giấy tiếp nhận hồ sơ và
  hẹn trả kết quả; 02 Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ; 03 Phiếu từ chối tiếp nhận giải
  quyết hồ sơ; 04 Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết; 05 Thông báo dừng
  giải quyết hồ sơ; 06 Phiếu kiểm soát quá trình giải quyết hồ sơ; 07 Sổ theo dõi hồ sơ (list
  checked against a published copy of the annex's table of forms). The body of the forms and
  the article of Circular 03/2025 on the dossier code and on sector codes were NOT at hand: the
  forms keep the content of their 2018 counterparts under the new numbers and titles, and the
  dossier code keeps the format of Circular 01/2018 art. 19 (``<unit>-<YYMMDD>-<NNNN>``) until
  an administrator records the new article in a rule set (``dossier_code_article``,
  ``sector_code_article``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

# Decree 45/2020/NĐ-CP (8 April 2020, in force 22 May 2020) on administrative procedures by
# electronic means: 8 working hours to receive an online dossier or ask for a supplement. The
# decree's text was not at hand: the figure is the design reference's, its article is not
# cited, and both are fields of the rule set an administrator can correct.
ONLINE_RECEPTION_ARTICLE = "Nghị định số 45/2020/NĐ-CP (điều khoản chưa được đối chiếu)"

# Receipt anywhere in the province (tiếp nhận hồ sơ không phụ thuộc địa giới hành chính): Decree
# 118/2025/NĐ-CP (in force 1 July 2025) lets an applicant file, and collect the result, at any
# one-stop unit (bộ phận một cửa) — a provincial or commune Public Administration Service Centre
# (Trung tâm Phục vụ hành chính công) receiving for the agency of the province that decides. The
# definition is quoted from the decree by Báo Hà Tĩnh (10/03/2026, "Thủ tục hành chính phi địa
# giới"); the article and clause that hold it were NOT found in the texts at hand, so they are
# not cited: an administrator records them in a rule set (``receipt_anywhere_article``). The
# 2018 set has no such rule (empty): a centre under it does not hand dossiers over.
RECEIPT_ANYWHERE_ARTICLE = (
    "Nghị định số 118/2025/NĐ-CP: thực hiện thủ tục hành chính không phụ thuộc vào địa giới hành chính"
    " (điều, khoản chưa được đối chiếu)"
)

# The forms a rule set may have, by what they are (not by number, which changes).
RECEIPT = "receipt"
SUPPLEMENT = "supplement"
REFUSAL = "refusal"
APOLOGY = "apology"
STOP_NOTICE = "stop_notice"
CONTROL_SHEET = "control_sheet"
REGISTER = "register"
FORM_KEYS = (RECEIPT, SUPPLEMENT, REFUSAL, APOLOGY, STOP_NOTICE, CONTROL_SHEET, REGISTER)


@dataclass(frozen=True)
class Form:
    number: str  # "01" .. "07"
    title: str  # as the annex writes it, sentence case
    slug: str  # the file name's part after "mau-NN-"

    @property
    def label(self) -> str:
        return f"Mẫu {self.number} — {self.title}"


@dataclass(frozen=True)
class RuleBook:
    key: str
    name: str
    effective_from: dt.date
    decree: str  # short reference: "118/2025/NĐ-CP"
    decree_citation: str  # the full citation printed on slips
    circular: str  # short reference: "03/2025/TT-VPCP"
    circular_citation: str
    forms: dict[str, Form] = field(default_factory=dict)
    dossier_code_article: str = ""
    sector_code_article: str = ""
    # An online dossier is received, or a supplement asked for, within these working hours of
    # its submission (Decree 45/2020/NĐ-CP, in force 22 May 2020).
    online_reception_hours: int = 8
    online_reception_article: str = ONLINE_RECEPTION_ARTICLE
    # The basis of receipt anywhere in the province; empty: the set has no such rule.
    receipt_anywhere_article: str = ""

    @property
    def receipt_anywhere(self) -> bool:
        return bool(self.receipt_anywhere_article)

    def form(self, key: str) -> Form | None:
        return self.forms.get(key)

    @property
    def basis(self) -> str:
        """The "ban hành kèm theo" line of the forms."""
        return f"Ban hành kèm theo Thông tư số {self.circular}"


_DECREE_2018 = "61/2018/NĐ-CP"
_DECREE_2018_CITATION = (
    "Nghị định số 61/2018/NĐ-CP ngày 23/4/2018 của Chính phủ về thực hiện cơ chế một cửa, một cửa liên "
    "thông trong giải quyết thủ tục hành chính (sửa đổi, bổ sung bởi Nghị định số 107/2021/NĐ-CP)"
)
_DECREE_2025 = "118/2025/NĐ-CP"
_DECREE_2025_CITATION = (
    "Nghị định số 118/2025/NĐ-CP ngày 09/6/2025 của Chính phủ về thực hiện thủ tục hành chính theo cơ chế "
    "một cửa, một cửa liên thông tại Bộ phận Một cửa và Cổng Dịch vụ công quốc gia"
)
_CIRCULAR_2018 = "01/2018/TT-VPCP"
_CIRCULAR_2018_CITATION = (
    "Thông tư số 01/2018/TT-VPCP ngày 23/11/2018 của Văn phòng Chính phủ hướng dẫn thi hành một số quy "
    "định của Nghị định số 61/2018/NĐ-CP"
)
_CIRCULAR_2025 = "03/2025/TT-VPCP"
_CIRCULAR_2025_CITATION = (
    "Thông tư số 03/2025/TT-VPCP ngày 15/9/2025 của Văn phòng Chính phủ hướng dẫn thi hành một số nội "
    "dung của Nghị định số 118/2025/NĐ-CP"
)

FORMS_2018 = {
    RECEIPT: Form("01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "tiep-nhan"),
    SUPPLEMENT: Form("02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", "yeu-cau-bo-sung"),
    REFUSAL: Form("03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ", "tu-choi"),
    APOLOGY: Form("04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả", "xin-loi-hen-lai"),
    CONTROL_SHEET: Form("05", "Phiếu kiểm soát quá trình giải quyết hồ sơ", "kiem-soat"),
    REGISTER: Form("06", "Sổ theo dõi hồ sơ", "so-theo-doi"),
}
FORMS_2025 = {
    RECEIPT: Form("01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "tiep-nhan"),
    SUPPLEMENT: Form("02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", "yeu-cau-bo-sung"),
    REFUSAL: Form("03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ", "tu-choi"),
    APOLOGY: Form("04", "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết", "xin-loi-gia-han"),
    STOP_NOTICE: Form("05", "Thông báo dừng giải quyết hồ sơ", "dung-giai-quyet"),
    CONTROL_SHEET: Form("06", "Phiếu kiểm soát quá trình giải quyết hồ sơ", "kiem-soat"),
    REGISTER: Form("07", "Sổ theo dõi hồ sơ", "so-theo-doi"),
}

_CODE_2018 = "Điều 19 Thông tư số 01/2018/TT-VPCP"
# Circular 03/2025's article on the code was not at hand: the 2018 format is kept, and said so.
_CODE_2025 = "Định dạng của Điều 19 Thông tư số 01/2018/TT-VPCP (điều tương ứng của Thông tư số 03/2025/TT-VPCP chưa được cập nhật)"

BUILT_IN: tuple[RuleBook, ...] = (
    RuleBook(
        key="2018",
        name="Nghị định 61/2018/NĐ-CP và Thông tư 01/2018/TT-VPCP",
        effective_from=dt.date(2018, 6, 21),
        decree=_DECREE_2018,
        decree_citation=_DECREE_2018_CITATION,
        circular=_CIRCULAR_2018,
        circular_citation=_CIRCULAR_2018_CITATION,
        forms=FORMS_2018,
        dossier_code_article=_CODE_2018,
        sector_code_article=_CODE_2018,
    ),
    # Decree 118/2025 in force; its guiding circular not yet: the 2018 forms stay.
    RuleBook(
        key="2025-07",
        name="Nghị định 118/2025/NĐ-CP và Thông tư 01/2018/TT-VPCP",
        effective_from=dt.date(2025, 7, 1),
        decree=_DECREE_2025,
        decree_citation=_DECREE_2025_CITATION,
        circular=_CIRCULAR_2018,
        circular_citation=_CIRCULAR_2018_CITATION,
        forms=FORMS_2018,
        dossier_code_article=_CODE_2018,
        sector_code_article=_CODE_2018,
        receipt_anywhere_article=RECEIPT_ANYWHERE_ARTICLE,
    ),
    RuleBook(
        key="2025-09",
        name="Nghị định 118/2025/NĐ-CP và Thông tư 03/2025/TT-VPCP",
        effective_from=dt.date(2025, 9, 15),
        decree=_DECREE_2025,
        decree_citation=_DECREE_2025_CITATION,
        circular=_CIRCULAR_2025,
        circular_citation=_CIRCULAR_2025_CITATION,
        forms=FORMS_2025,
        dossier_code_article=_CODE_2025,
        sector_code_article=_CODE_2025,
        receipt_anywhere_article=RECEIPT_ANYWHERE_ARTICLE,
    ),
)


def rulebook_extend(base: RuleBook, override: dict) -> RuleBook:
    """A later set: ``base`` with the non-empty values of ``override`` (an admin's row).

    ``override["forms"]`` maps a form key to ``{"number", "title", "slug"}``, any of them; an
    unknown key or a form with no number is ignored (the admin form validates before).
    """
    forms = dict(base.forms)
    for key, spec in (override.get("forms") or {}).items():
        if key not in FORM_KEYS or not isinstance(spec, dict):
            continue
        old = forms.get(key)
        number = str(spec.get("number") or (old.number if old else "")).strip()
        title = str(spec.get("title") or (old.title if old else "")).strip()
        slug = str(spec.get("slug") or (old.slug if old else key.replace("_", "-"))).strip()
        if spec.get("remove"):
            forms.pop(key, None)
        elif number and title:
            forms[key] = Form(number, title, slug)
    values = {
        name: override[name]
        for name in (
            "key",
            "name",
            "effective_from",
            "decree",
            "decree_citation",
            "circular",
            "circular_citation",
            "dossier_code_article",
            "sector_code_article",
            "online_reception_hours",
            "online_reception_article",
            "receipt_anywhere_article",
        )
        if override.get(name)
    }
    return replace(base, forms=forms, **values)


def rulebook_chain(overrides: list[dict]) -> list[RuleBook]:
    """Every set, oldest first: the built-in ones and the admin's, each of the latter extending
    the set in force just before its own effective date."""
    books = sorted(BUILT_IN, key=lambda b: b.effective_from)
    for override in sorted(overrides, key=lambda o: o["effective_from"]):
        base = rulebook_on(books, override["effective_from"])
        books = [b for b in books if b.effective_from != override["effective_from"]]
        books.append(rulebook_extend(base, override))
        books.sort(key=lambda b: b.effective_from)
    return books


def rulebook_on(books: list[RuleBook] | tuple[RuleBook, ...], day: dt.date) -> RuleBook:
    """The set in force on ``day``: the latest that took effect on or before it (the oldest
    one for a day before every set)."""
    ordered = sorted(books, key=lambda b: b.effective_from)
    chosen = ordered[0]
    for book in ordered:
        if book.effective_from <= day:
            chosen = book
    return chosen
