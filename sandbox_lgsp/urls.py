"""Routes of the sandbox LGSP, mounted at /sandbox-lgsp/ by portal.urls in dev and test only."""

from sandbox_lgsp.views import app_name, urlpatterns  # noqa: F401
