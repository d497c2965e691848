"""The portal's URLs plus the benchmark's ceiling views (see ``bench.views``)."""

from django.urls import path

from bench import views
from portal.urls import handler403, handler404, handler500
from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    path("_bench/constant", views.constant),
    path("_bench/read/<int:pk>", views.read_one),
    *portal_urlpatterns,
]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
