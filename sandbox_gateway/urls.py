"""Routes of the sandbox gateway, mounted at /sandbox-gateway/ by portal.urls in dev and test only."""

from sandbox_gateway.views import app_name, urlpatterns  # noqa: F401
