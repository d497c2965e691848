"""An officer's saved filters (bộ lọc đã lưu) of a worklist or of the officer search."""

from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from dossiers.constants import WORKLIST_FILTER_KEYS
from dossiers.models import SavedFilter

MAX_SAVED_FILTERS = 30
# Only the filters and the page size are kept (the page and the export are not part of a filter).
_KEPT = frozenset({*WORKLIST_FILTER_KEYS, "page_size"})


def saved_filter_create(*, user, list_name: str, name: str, query: str) -> SavedFilter:
    """Saves the filter ``query`` (a query string) under ``name`` for the officer; the same name
    again replaces it."""
    name = " ".join((name or "").split())
    if not name or "\x00" in name:
        raise ValidationError({"name": [_("Vui lòng đặt tên cho bộ lọc.")]})
    if len(name) > 80:
        raise ValidationError({"name": [_("Tên bộ lọc dài tối đa 80 ký tự.")]})
    kept = [(k, v) for k, v in parse_qsl(query or "", keep_blank_values=False) if k in _KEPT and "\x00" not in v]
    encoded = urlencode(kept)
    if not kept or len(encoded) > 1000:
        raise ValidationError({"query": [_("Hãy chọn ít nhất một điều kiện lọc trước khi lưu.")]})
    existing = SavedFilter.objects.filter(user=user, list_name=list_name)
    if existing.count() >= MAX_SAVED_FILTERS and not existing.filter(name=name).exists():
        raise ValidationError({"name": [_("Mỗi danh sách giữ tối đa 30 bộ lọc; hãy xóa bớt bộ lọc cũ.")]})
    try:
        with transaction.atomic():
            saved, _created = SavedFilter.objects.update_or_create(
                user=user, list_name=list_name, name=name, defaults={"query": encoded}
            )
    except IntegrityError as error:  # the same name saved at the same moment from another tab
        raise ValidationError({"name": [_("Bộ lọc cùng tên vừa được lưu, hãy thử lại.")]}) from error
    return saved


def saved_filter_delete(*, user, filter_id: int) -> bool:
    """Deletes one of the officer's own saved filters; False when it is not the officer's."""
    deleted, _detail = SavedFilter.objects.filter(user=user, pk=filter_id).delete()
    return bool(deleted)
