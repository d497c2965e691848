"""Routes of the sandbox VNeID, mounted at /sandbox-vneid/ by portal.urls in dev and test only."""

from sandbox_vneid.views import app_name, urlpatterns  # noqa: F401
