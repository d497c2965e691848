"""Page-number pagination for every API list: ``count``, ``next``, ``previous``, ``results``."""

from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination


class PortalPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    # DRF fills it with str.format (page_number, message).
    invalid_page_message = gettext_lazy("Trang “{page_number}” không tồn tại hoặc không hợp lệ.")
    page_size_message = gettext_lazy("Số bản ghi mỗi trang phải là số nguyên từ 1 đến %(max)d.")

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and (not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size):
            raise exceptions.ValidationError({"page_size": [str(self.page_size_message) % {"max": self.max_page_size}]})
        return super().get_page_size(request)
