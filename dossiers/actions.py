"""What the caller may do next with a dossier: the one table of the actions offered on its page
and in the API, each as name → rule → performer.

An action names the row of the core's table it runs (``transition``): the row says who may
perform it, from which states, with which guard, and lists the fields a client needs; the
rule offering it is ``transition_open`` on that row, so what is offered is what the runner
allows. The performer is the edge: it parses the raw parameters of a page or an API body
(ids, flags, dates, JSON lists, files) and calls the one service with typed values. The
service checks role, agency and state again under the row lock.

To offer a new action, add a row to ``dossiers.core.machine.TRANSITIONS``, its service, and
its line in ``ACTIONS`` below.
"""

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from dossiers import selectors
from dossiers.core.machine import TRANSITIONS, transition_open
from dossiers.services import applicant, processing, reception

RESULT_MAX_SIZE = processing.RESULT_MAX_SIZE

Performer = Callable[..., object]

# What an action's button says by its colour: the step forward, a refusal or stop, the rest.
PRIMARY, DANGER, SECONDARY = "primary", "danger", "secondary"


@dataclass(frozen=True)
class DossierAction:
    name: str  # what a client sends: {"action": name, ...}
    transition: str  # the row of the core's table it runs
    perform: Performer  # perform(*, user, dossier, params, files=None) -> Dossier
    tone: str = SECONDARY  # PRIMARY, DANGER or SECONDARY: its button's colour on the pages

    @property
    def label(self):
        return TRANSITIONS[self.transition].label

    @property
    def fields(self) -> tuple:
        return TRANSITIONS[self.transition].fields

    @property
    def performer(self) -> str:
        """Who performs it: an officer, the applicant (``dossiers.core.machine``)."""
        return TRANSITIONS[self.transition].performer

    def rule(self, *, user, dossier) -> bool:
        return transition_open(user=user, dossier=dossier, name=self.transition)


# --- parsing at the edge -----------------------------------------------------------------------


def _int(params, name: str, message) -> int | None:
    """An id or count sent as a number or digits; None when absent; ``message`` when not one."""
    value = params.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValidationError({name: [message]})
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.isdigit():
        raise ValidationError({name: [message]})
    return int(text)


def _text(params, name: str) -> str:
    value = params.get(name)
    return value if isinstance(value, str) else ""


def _ids(params, name: str, message) -> list[int] | None:
    """Ids sent as a list (JSON), repeated form values, or one comma-separated string; None when absent."""
    values = params.getlist(name) if hasattr(params, "getlist") else params.get(name)
    if values in (None, "", []):
        return None
    if not isinstance(values, list):
        values = [values]
    ids = []
    for value in values:
        for part in value.split(",") if isinstance(value, str) else [value]:
            number = _int({name: part.strip() if isinstance(part, str) else part}, name, message)
            if number is not None:
                ids.append(number)
    return ids or None


def _flag(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("1", "true", "on", "yes"))


def _file(files: dict | None, name: str) -> tuple[str, bytes] | None:
    upload = (files or {}).get(name)
    if upload is None:
        return None
    if upload.size > RESULT_MAX_SIZE:
        raise ValidationError({name: [_("Tệp vượt quá dung lượng cho phép.")]})
    return upload.name, upload.read()


def _items(value):
    """Items as a list (JSON body) or as a JSON string (form or multipart body)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ValidationError({"items": [_("Danh sách nội dung cần bổ sung phải là JSON hợp lệ.")]}) from None
    return value


# Dates as Vietnamese write them (ngày/tháng/năm), optionally with a time, besides ISO 8601.
_VN_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y")


def _vn_moment(text: str) -> dt.datetime | None:
    for fmt in _VN_FORMATS:
        try:
            moment = dt.datetime.strptime(text, fmt)  # noqa: DTZ007 - made aware by the caller
        except ValueError:
            continue
        return moment if "%H" in fmt else dt.datetime.combine(moment.date(), dt.time(17, 0))
    return None


def _moment(value) -> dt.datetime | None:
    """A date-time, or a date (then 17:00 that day), ISO 8601 or dd/mm/yyyy [HH:MM], in the
    current time zone when naive."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(17, 0))
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            moment = parse_datetime(text)
            day = None if moment is not None else parse_date(text)
        except ValueError:
            moment = day = None
        if moment is None and day is not None:
            moment = dt.datetime.combine(day, dt.time(17, 0))
        if moment is None:
            moment = _vn_moment(text)
        if moment is None:
            return None
    else:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day_or_moment(value) -> dt.date | dt.datetime | None:
    """A date typed alone stays a date (the service reads it in the agency's calendar), else
    the moment ``_moment`` reads."""
    if isinstance(value, str) and DATE_ONLY.fullmatch(value.strip()):
        try:
            return parse_date(value.strip())
        except ValueError:
            return None
    return _moment(value)


def _texts(service, *names: str) -> Performer:
    """The performer of a service that takes only free text besides the dossier: each of
    ``names`` passed as sent, or empty (the service cleans it)."""

    def perform(*, user, dossier, params, files=None):
        return service(user=user, dossier_id=dossier.pk, **{name: params.get(name) or "" for name in names})

    return perform


# --- the performers ----------------------------------------------------------------------------


def _supplement(*, user, dossier, params, files=None):
    from_store = params.get("from_store")
    return applicant.dossier_supplement_submit(
        user=user,
        dossier_id=dossier.pk,
        data=params.get("data"),
        note=params.get("note", ""),
        files=files,
        from_store=from_store if isinstance(from_store, dict) else None,
    )


def _withdraw(*, user, dossier, params, files=None):
    return applicant.dossier_withdraw_request(user=user, dossier_id=dossier.pk, reason=params.get("reason", ""))


def _rate(*, user, dossier, params, files=None):
    return applicant.dossier_rate(
        user=user, dossier_id=dossier.pk, rating=params.get("rating", ""), comment=params.get("comment", "")
    )


def _request_supplement(*, user, dossier, params, files=None):
    return reception.dossier_request_supplement(
        user=user,
        dossier_id=dossier.pk,
        items=_items(params.get("items")),
        note=params.get("note") or "",
        message=params.get("message") or "",
    )


def _assign(*, user, dossier, params, files=None):
    return processing.dossier_assign(
        user=user,
        dossier_id=dossier.pk,
        assignee_id=_int(params, "assignee", _("Vui lòng chọn chuyên viên xử lý.")),
        department_id=_int(params, "department", _("Phòng xử lý không hợp lệ.")),
        note=params.get("note") or "",
    )


def _reassign(*, user, dossier, params, files=None):
    return processing.dossier_reassign(
        user=user,
        dossier_id=dossier.pk,
        assignee_id=_int(params, "assignee", _("Vui lòng chọn chuyên viên xử lý.")),
        note=params.get("note") or "",
    )


def _propose(*, user, dossier, params, files=None):
    return processing.dossier_propose(
        user=user,
        dossier_id=dossier.pk,
        recommendation=params.get("recommendation") or "",
        result_title=params.get("result_title") or "",
        result_file=_file(files, "result_file"),
        generate=_flag(params.get("generate")),
        note=params.get("note") or "",
        reason=params.get("reason") or "",
    )


def _consult(*, user, dossier, params, files=None):
    days_message = _("Thời hạn trả lời là số ngày làm việc từ 1 đến %(max)d.") % {"max": processing.CONSULT_MAX_DAYS}
    return processing.dossier_consult(
        user=user,
        dossier_id=dossier.pk,
        agency_code=_text(params, "agency"),
        question=params.get("question") or "",
        days=_int(params, "days", days_message),
        document_ids=_ids(params, "documents", _("Giấy tờ gửi kèm không hợp lệ.")),
    )


def _hand_over(*, user, dossier, params, files=None):
    return reception.dossier_hand_over(
        user=user, dossier_id=dossier.pk, agency_code=_text(params, "agency"), note=params.get("note") or ""
    )


def _consult_reply(*, user, dossier, params, files=None):
    return processing.dossier_consult_reply(
        user=user,
        dossier_id=dossier.pk,
        consultation_id=_int(params, "consultation", _("Yêu cầu xin ý kiến không hợp lệ.")),
        answer=params.get("answer") or "",
    )


def _apology(*, user, dossier, params, files=None):
    return processing.dossier_apologise(
        user=user,
        dossier_id=dossier.pk,
        reason=params.get("reason") or "",
        new_due_at=_day_or_moment(params.get("new_due_at")),
        note=params.get("note") or "",
    )


# The table, in the order the actions are offered.
ACTIONS: dict[str, DossierAction] = {
    a.name: a
    for a in (
        # the applicant's
        DossierAction("supplement", "supplement_submit", _supplement),
        DossierAction("withdraw", "withdraw_request", _withdraw),
        DossierAction("rate", "rate", _rate),
        # reception
        DossierAction("receive", "receive", _texts(reception.dossier_receive, "note", "message"), tone=PRIMARY),
        DossierAction("request_supplement", "request_supplement", _request_supplement),
        DossierAction("refuse", "refuse", _texts(reception.dossier_refuse, "reason", "note"), tone=DANGER),
        DossierAction("hand_over", "hand_over", _hand_over, tone=PRIMARY),
        # processing
        DossierAction("assign", "assign", _assign),
        DossierAction("reassign", "reassign", _reassign),
        DossierAction("propose", "propose", _propose, tone=PRIMARY),
        DossierAction("forward", "forward", _texts(processing.dossier_forward, "note")),
        DossierAction("send_back", "send_back", _texts(processing.dossier_send_back, "reason")),
        DossierAction("consult", "consult", _consult),
        DossierAction("consult_reply", "consult_reply", _consult_reply),
        DossierAction("approve", "approve", _texts(processing.dossier_approve, "note", "message"), tone=PRIMARY),
        DossierAction("decline", "decline", _texts(processing.dossier_decline, "reason", "note"), tone=DANGER),
        DossierAction(
            "request_payment", "request_payment", _texts(processing.dossier_request_payment, "note", "message")
        ),
        DossierAction(
            "payment_received",
            "payment_received",
            _texts(processing.dossier_payment_received, "reference", "note", "message"),
        ),
        DossierAction("apology", "apology", _apology),
        DossierAction("stop", "stop", _texts(processing.dossier_stop, "reason", "note"), tone=DANGER),
        DossierAction(
            "withdraw_accept", "withdraw_accept", _texts(processing.dossier_withdraw_accept, "note", "message")
        ),
        DossierAction(
            "withdraw_reject",
            "withdraw_reject",
            _texts(processing.dossier_withdraw_reject, "reason", "note"),
            tone=DANGER,
        ),
        DossierAction(
            "return_result",
            "return_result",
            _texts(processing.dossier_return_result, "method", "recipient", "tracking_number", "note", "message"),
            tone=PRIMARY,
        ),
    )
}


def action_get(name: str) -> DossierAction | None:
    return ACTIONS.get(name)


def offered_actions(*, user, dossier) -> list[DossierAction]:
    """The actions the user may take on the dossier now, in the table's order."""
    return [a for a in ACTIONS.values() if a.rule(user=user, dossier=dossier)]


def available_actions(*, user, dossier) -> list[str]:
    """Names of the actions the user may take on the dossier now, in the table's order."""
    return [a.name for a in offered_actions(user=user, dossier=dossier)]


def action_field_choices(field: dict, *, user, dossier, lookups: dict | None = None) -> list[dict] | None:
    """The ``[{value, label}]`` a field takes, or None for a free field: a ``choice`` field's own
    list, and for a field of type officer, department or agency the list offered to ``user`` on
    this dossier (``dossiers.selectors.action_field_choices``: what the service accepts).
    ``lookups`` keeps each kind's list for the request (several actions may share one)."""
    kind = field.get("type")
    if kind == "choice":
        return [{"value": value, "label": str(label)} for value, label in field.get("choices", ())]
    if kind not in selectors.CHOICE_FIELD_TYPES:
        return None
    lookups = {} if lookups is None else lookups
    source = field.get("choices_from", "")
    key = f"{kind}:{source}"
    if key not in lookups:
        lookups[key] = selectors.action_field_choices(user=user, dossier=dossier, kind=kind, source=source)
    return lookups[key]


def action_describe(action: DossierAction, *, user, dossier, lookups: dict | None = None) -> dict:
    """An action as the API lists it: name, label and the fields it needs (labels translated), each
    saying whether what is typed in it is sent to the applicant (``to_applicant``) or stays
    internal, and the ``choices`` of those picked from a list."""
    lookups = {} if lookups is None else lookups
    fields = []
    for f in action.fields:
        described = {
            "to_applicant": False,
            **{key: value for key, value in f.items() if key not in ("choices", "choices_from")},
        }
        described["label"] = str(f["label"])
        choices = action_field_choices(f, user=user, dossier=dossier, lookups=lookups)
        if choices is not None:
            described["choices"] = choices
        fields.append(described)
    return {"name": action.name, "label": str(action.label), "fields": fields}
