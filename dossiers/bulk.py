"""Bulk actions of the worklists (thao tác hàng loạt): receive several dossiers, assign several to
a specialist, print their slips (one merged PDF).

Each dossier goes through the actions table (``dossiers.actions``) exactly as its own page
would send it, so the transition runner locks it, checks the officer, the state and the
guard, writes its event and enqueues its effects; one dossier refused does not stop the
others. The answer is one result per selected code, in the order selected: done, or why not.
"""

import io
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from dossiers import actions, selectors
from dossiers.constants import SlipKind
from dossiers.services.slips import slip_awaiting_seal
from portal.run_cache import run_cache
from portal.services.outbox import outbox_batch

MAX_SELECTED = 100
_CODE = re.compile(r"^[0-9A-Za-z.-]+$")
# The actions a worklist offers on a selection, with the label of its confirmation button.
BULK_ACTIONS = {
    "receive": gettext_lazy("Tiếp nhận các hồ sơ đã chọn"),
    "assign": gettext_lazy("Phân công các hồ sơ đã chọn"),
}


@dataclass(frozen=True)
class BulkResult:
    code: str
    done: bool
    message: str


def bulk_codes(values) -> list[str]:
    """The selected codes, cleaned: each once, in order, at most ``MAX_SELECTED``."""
    seen: list[str] = []
    for value in values:
        code = value.strip()[:48] if isinstance(value, str) else ""
        if _CODE.match(code) and code not in seen:
            seen.append(code)
    return seen[:MAX_SELECTED]


def bulk_perform(*, user, action: str, codes: list[str], params: dict) -> list[BulkResult]:
    """Runs ``action`` on each dossier of ``codes`` that the officer sees; a result per code."""
    performed = actions.action_get(action)
    if performed is None or action not in BULK_ACTIONS:
        raise ValidationError({"action": [_("Thao tác hàng loạt không hợp lệ.")]})
    by_code = selectors.dossiers_for_officer_by_codes(user=user, codes=codes)
    results = []
    # What is the same for every dossier of the run (the officer's and the assignee's
    # memberships, the calendar, the assignee's notification preferences) is read once for
    # the run; each dossier is still locked, checked and recorded by the transition runner, in
    # its own transaction. The effects of the committed dossiers go to the broker together at
    # the end (one outbox transaction, not one per message).
    with run_cache(), outbox_batch():
        for code in codes:
            dossier = by_code.get(code)
            if dossier is None:
                results.append(BulkResult(code, False, _("Không tìm thấy hồ sơ này trong cơ quan của bạn.")))
                continue
            try:
                performed.perform(user=user, dossier=dossier, params=params)
            except (ValidationError, PermissionDenied) as error:
                messages = error.messages if isinstance(error, ValidationError) else [str(error)]
                results.append(BulkResult(code, False, " ".join(str(m) for m in messages)))
            else:
                results.append(BulkResult(code, True, _("Đã thực hiện.")))
    return results


def bulk_slips_pdf(*, user, codes: list[str]) -> tuple[bytes, list[BulkResult]]:
    """The receipt slips (mẫu 01) of the selected dossiers merged into one PDF to print, in the
    order selected, and a result per code: each dossier checked for this officer as its own
    download would be (``dossier_can_view``, the slip sealed), a dossier without a rendered,
    sealed receipt named with the reason. The merged file is for printing: the slips' seals
    do not survive a merge, and each sealed slip stays downloadable from its dossier.
    ``b""`` when no slip went in."""
    by_code = selectors.dossiers_for_officer_by_codes(user=user, codes=codes)
    slips = selectors.latest_slips(dossier_ids=[d.pk for d in by_code.values()], kind=SlipKind.RECEIPT)
    writer = PdfWriter()
    results = []
    for code in codes:
        dossier = by_code.get(code)
        slip = slips.get(dossier.pk) if dossier else None
        if dossier is None or not selectors.dossier_can_view(user=user, dossier=dossier):
            results.append(BulkResult(code, False, _("Không tìm thấy hồ sơ này trong cơ quan của bạn.")))
        elif slip is None or not slip.file:
            results.append(BulkResult(code, False, _("Hồ sơ chưa có giấy tiếp nhận và hẹn trả kết quả.")))
        elif slip_awaiting_seal(user=user, slip=slip):
            results.append(BulkResult(code, False, _("Giấy tiếp nhận đang chờ ký số.")))
        else:
            try:
                with slip.file.open("rb") as handle:
                    pages = PdfReader(io.BytesIO(handle.read())).pages
                    for page in pages:
                        writer.add_page(page)
            except (OSError, PdfReadError):
                results.append(BulkResult(code, False, _("Không đọc được tệp giấy tiếp nhận của hồ sơ này.")))
                continue
            results.append(BulkResult(code, True, _("Đã đưa vào tệp PDF (%(pages)s trang).") % {"pages": len(pages)}))
    if not any(r.done for r in results):
        return b"", results
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue(), results
