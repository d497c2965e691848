"""Pages of petitions; included by portal.urls."""

from dossiers.petitions.views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
