"""Which words of an event the applicant reads: officers' internal notes (ghi chú nội bộ) and
what the agency writes to the applicant (nội dung gửi người nộp hồ sơ).

Every note an officer writes is internal: only the officers of the agency read it. The text
written *to the applicant* — the supplement request's message, a refusal, decline, stop or
apology reason, the reason for not accepting a withdrawal, a message field offered on a row —
is stored apart, in ``DossierEvent.public_note`` (hash-chained with the rest of the event), and
the row's fields say which is which (``to_applicant``). The applicant's own rows (bổ sung, xin
rút, đánh giá) keep the applicant's words in ``note``, with ``public_note`` None: they are its.

Events written before the split have ``public_note`` None as well. They are read as migrated,
without rewriting a hash-chained row: the note of a row whose text was written for the
applicant (a reason, the supplement request's message) stays the applicant's; the notes of the
other officers' rows (reception, assignment, proposal, review, approval, payment, return ...)
became internal.
"""

from dossiers.models import DossierEvent

# The applicant's rows (the events they record): their note is the applicant's own.
APPLICANT_EVENT_ACTIONS = frozenset({"supplement_submitted", "withdraw_requested", "rated"})

# Officers' rows whose note, before the split, was the text written to the applicant.
LEGACY_APPLICANT_NOTE_ACTIONS = frozenset(
    {"request_supplement", "refuse", "decline", "apology", "stop", "withdraw_reject"}
)


def _note_is_applicants(event: DossierEvent) -> bool:
    """An event without ``public_note`` whose ``note`` the applicant reads."""
    return event.public_note is None and (
        event.action in APPLICANT_EVENT_ACTIONS or event.action in LEGACY_APPLICANT_NOTE_ACTIONS
    )


def event_applicant_note(event: DossierEvent) -> str:
    """The words of the event the applicant may read ("" when none)."""
    if event.public_note is not None:
        return event.public_note
    return event.note if _note_is_applicants(event) else ""


def event_internal_note(event: DossierEvent) -> str:
    """The officers' internal note of the event, which never reaches the applicant ("" when none)."""
    return "" if _note_is_applicants(event) else event.note
