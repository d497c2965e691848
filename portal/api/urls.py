from django.urls import include, path

from portal.api import views, webhooks

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    *webhooks.urlpatterns,
]

for app in ("procedures", "dossiers", "dossiers.petitions", "signing"):
    try:
        urlpatterns.append(path("", include(f"{app}.api.urls")))
    except ModuleNotFoundError as exc:
        if exc.name not in (f"{app}.api", f"{app}.api.urls"):
            raise
