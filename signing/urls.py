"""Public verification of signed PDFs: the page and the API."""

from django.urls import path

from signing import views
from signing.api import views as api_views

app_name = "signing"

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("api/v1/verify/", api_views.VerifyApiView.as_view(), name="api_verify"),
]
