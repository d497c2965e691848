"""Ceiling views for the HTTP benchmark: the cost of the request cycle and of one row read.

Mounted only by ``portal.settings.bench`` with BENCH_VIEWS=1; every page of the portal is
slower than these, so their throughput is the ceiling the other scenarios are compared to.
"""

from django.contrib.auth import get_user_model
from django.http import HttpResponse


def constant(request):
    return HttpResponse(b"ok", content_type="text/plain")


def read_one(request, pk: int):
    email = get_user_model().objects.filter(pk=pk).values_list("email", flat=True).get()
    return HttpResponse(email.encode(), content_type="text/plain")
