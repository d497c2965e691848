"""Public tracking pages (placeholder until the tracking stream lands)."""

from django.http import HttpResponse
from django.urls import path


def track(request):
    return HttpResponse("")


urlpatterns = [path("track/", track, name="track")]
