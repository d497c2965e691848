"""An officer's saved filters (bộ lọc đã lưu): a named query string of one worklist or of the search."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedFilter(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    # The worklist's name (``dossiers.worklists.WORKLISTS``), or "search" for the officer search.
    list_name = models.CharField(_("danh sách"), max_length=32)
    name = models.CharField(_("tên bộ lọc"), max_length=80)
    query = models.CharField(_("điều kiện lọc"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bộ lọc đã lưu")
        verbose_name_plural = _("bộ lọc đã lưu")
        constraints = [
            models.UniqueConstraint(fields=["user", "list_name", "name"], name="uniq_saved_filter_name"),
        ]

    def __str__(self) -> str:
        return self.name
