from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import notification_views, pwa, views, vneid_views
from portal.api import urls as api_urls
from portal.language import language_set
from portal.metrics import metrics_view

portal_patterns = (
    [
        path("", views.home, name="home"),
        path("account/", views.account, name="account"),
        path("account/profile/", views.profile_edit, name="profile"),
        path("account/tokens/", views.api_tokens, name="api_tokens"),
        path("account/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
        path("organisations/", views.organisation_list, name="organisation_list"),
        path("organisations/new/", views.organisation_create, name="organisation_create"),
        path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
        path(
            "organisations/<int:pk>/members/<int:user_id>/remove/",
            views.organisation_remove_member,
            name="organisation_remove_member",
        ),
        path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
        path("officer/", views.officer_home, name="officer_home"),
        path("accounts/vneid/link/", vneid_views.link, name="vneid_link"),
        path("divisions/communes/", views.communes, name="communes"),
        path("notifications/", notification_views.notification_list, name="notifications"),
        path(
            "account/notifications/",
            notification_views.notification_preferences,
            name="notification_preferences",
        ),
        path("notifications/read-all/", notification_views.notification_read_all, name="notifications_read_all"),
        path("notifications/<int:pk>/open/", notification_views.notification_open, name="notification_open"),
    ],
    "portal",
)

urlpatterns = [
    path("", include(portal_patterns)),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("robots.txt", views.robots),
    # The installable portal: manifest, service worker (at the root, so that its scope is the
    # whole site) and the page it shows offline.
    path("manifest.webmanifest", pwa.manifest, name="pwa_manifest"),
    path("sw.js", pwa.service_worker, name="pwa_service_worker"),
    path("offline/", pwa.offline, name="pwa_offline"),
    path("i18n/setlang/", language_set, name="set_language"),
    # VNeID's login and callback: allauth's OpenID Connect views with the portal's adapter, at
    # the paths allauth gives them (so its URL names still point here).
    path("accounts/oidc/vneid/login/", vneid_views.login, {"provider_id": "vneid"}),
    path("accounts/oidc/vneid/login/callback/", vneid_views.callback, {"provider_id": "vneid"}),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI with its script served apart, for the Content-Security-Policy. (Redoc is not
    # offered: it injects style elements before it takes the nonce, and runs a blob worker.)
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

# Each app contributes its pages through an optional `urls` module, so that the
# later apps plug in here without touching this file's structure.
for app in ("procedures", "dossiers", "dossiers.petitions", "signing"):
    try:
        urlpatterns.append(path("", include(f"{app}.urls")))
    except ModuleNotFoundError as exc:
        if exc.name != f"{app}.urls":
            raise

handler403 = "portal.views.error_403"
handler404 = "portal.views.error_404"
handler500 = "portal.views.error_500"

if settings.DEBUG:
    pass

# The sandbox payment gateway exists in dev and test settings only.
if getattr(settings, "PAYMENT_SANDBOX", False):
    urlpatterns.append(path("sandbox-gateway/", include("sandbox_gateway.urls")))
# The sandbox VNeID provider likewise (dev and test settings install it).
if apps.is_installed("sandbox_vneid"):
    urlpatterns.append(path("sandbox-vneid/", include("sandbox_vneid.urls")))
if apps.is_installed("sandbox_lgsp"):
    urlpatterns.append(path("sandbox-lgsp/", include("sandbox_lgsp.urls")))
