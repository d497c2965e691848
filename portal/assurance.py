"""Levels of assurance (mức độ xác thực) of a sign-in, Decree 69/2024/NĐ-CP (from 1 July 2024).

A session keeps the VNeID level it was reached with (``vneid_loa``: LoA1 or LoA2; none for a
password sign-in); a bearer token keeps the level of the session it was minted from
(`ApiToken.assurance`). A procedure version may require a level (``required_assurance``); every
door that files checks it here: the wizard's pages (`portal.vneid_views.assurance_gate`), the
API with a session and the API with a token (`dossiers.services.filing.dossier_file`).
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from portal.vneid import LOA_LEVELS, SESSION_LOA

ASSURANCE_REQUIRED = "assurance_required"


class AssuranceRequired(PermissionDenied):
    """The caller's level is below the procedure's; ``code`` for the API's error body."""

    code = ASSURANCE_REQUIRED

    def __init__(self, *, required: str, via_token: bool) -> None:
        self.required = required
        self.via_token = via_token
        super().__init__(assurance_message(required=required, via_token=via_token))


def assurance_meets(level: str | None, required: str | None) -> bool:
    """True when ``level`` (the session's or token's) satisfies ``required`` (empty: any)."""
    if not required:
        return True
    if level not in LOA_LEVELS or required not in LOA_LEVELS:
        return False
    return LOA_LEVELS.index(level) >= LOA_LEVELS.index(required)


def request_assurance(request) -> tuple[str, bool]:
    """The level a request carries and whether it came with a bearer token: the token's own
    level when it did (never the session's), else the session's."""
    token = getattr(request, "auth", None)
    if token is not None and hasattr(token, "assurance"):
        return token.assurance or "", True
    session = getattr(request, "session", None)
    return (session.get(SESSION_LOA, "") if session is not None else ""), False


def assurance_message(*, required: str, via_token: bool) -> str:
    level = _("VNeID mức độ 2") if required == "LoA2" else _("VNeID")
    if via_token:
        return _(
            "Thủ tục này yêu cầu đăng nhập bằng %(level)s. Mã truy cập này được tạo từ một phiên đăng nhập "
            "chưa đạt mức đó: hãy đăng nhập bằng %(level)s rồi tạo mã truy cập mới."
        ) % {"level": level}
    return _(
        "Thủ tục này yêu cầu đăng nhập bằng %(level)s. Phiên đăng nhập hiện tại chưa đạt mức đó: "
        "hãy đăng nhập lại bằng %(level)s."
    ) % {"level": level}


def assurance_check(*, level: str | None, required: str | None, via_token: bool) -> None:
    """Raise `AssuranceRequired` (a PermissionDenied) when ``level`` is below ``required``."""
    if not assurance_meets(level, required):
        raise AssuranceRequired(required=required or "", via_token=via_token)
