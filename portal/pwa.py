"""The installable portal (a progressive web app): its manifest, its service worker and the page
shown when the network is gone.

The service worker is a Django view, not a static file, so that it names the static files by
their hashed names (ManifestStaticFilesStorage) and changes, and so is updated by browsers, when
any of them changes. It caches only what is the same for everybody: the static files and the
offline page. Pages with personal data are never put in its cache; a page that cannot be fetched
is answered with the offline page. Drafts typed without a connection are kept by
static/js/offline-drafts.js, not by the service worker.
"""

import hashlib
import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME_COLOUR = "#a61b1b"
BACKGROUND_COLOUR = "#ffffff"
OFFLINE_URL = "/offline/"
CACHE_PREFIX = "portal-static-"

# What every page loads (templates/base.html) and what the offline page shows.
PRECACHED_STATIC = (
    "vendor/bootstrap/bootstrap.min.css",
    "css/icons.css",
    "css/portal.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "js/portal.js",
    "js/offline-drafts.js",
    "favicon.svg",
    "icons/icon-192.png",
    "icons/apple-touch-icon.png",
)


def manifest_data() -> dict:
    """The Web App Manifest (https://www.w3.org/TR/appmanifest/), in Vietnamese."""
    name = f"{settings.PORTAL_NAME} {settings.PORTAL_PROVINCE}".strip()
    return {
        "id": "/",
        "name": name,
        # Launchers show about 12 characters under the icon.
        "short_name": "Dịch vụ công",
        "description": "Nộp hồ sơ, theo dõi và nhận kết quả thủ tục hành chính trực tuyến.",
        "lang": "vi",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "categories": ["government", "productivity"],
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        "shortcuts": [
            {"name": "Tra cứu hồ sơ", "url": "/track/"},
            {"name": "Hồ sơ của tôi", "url": "/dossiers/"},
            {"name": "Thủ tục hành chính", "url": "/procedures/"},
        ],
    }


@require_GET
@cache_control(max_age=3600, public=True)
def manifest(request):
    response = JsonResponse(manifest_data(), json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Type"] = "application/manifest+json; charset=utf-8"
    return response


def precache_urls() -> list[str]:
    return [static(name) for name in PRECACHED_STATIC] + [OFFLINE_URL]


SERVICE_WORKER = """\
// The portal's service worker (portal/pwa.py). Generated: do not edit.
"use strict";
const CACHE = %(cache)s;
const PRECACHE = %(precache)s;
const OFFLINE_URL = %(offline)s;
const STATIC_PREFIX = %(static_prefix)s;
const HASHED = /\\.[0-9a-f]{12}\\.[A-Za-z0-9]+$/;

self.addEventListener("install", (event) => {
  // The offline page is fetched without cookies: it must not carry anybody's name.
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      cache.addAll(PRECACHE.map((url) => new Request(url, { credentials: "omit", cache: "reload" })))
    ).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(
      keys.filter((key) => key.startsWith(%(prefix)s) && key !== CACHE).map((key) => caches.delete(key))
    )).then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Pages come from the network, never from a cache; without it, the offline page.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  if (request.method !== "GET" || !url.pathname.startsWith(STATIC_PREFIX)) return;
  if (HASHED.test(url.pathname)) {
    // The content's hash is in the name (production's manifest storage): never stale.
    event.respondWith(caches.open(CACHE).then((cache) => cache.match(request).then((hit) => hit ||
      fetch(request).then((response) => {
        if (response.ok) cache.put(request, response.clone());
        return response;
      })
    )));
  } else {
    // A name without its hash (development): the network first, the cache without one.
    event.respondWith(fetch(request).then((response) => {
      if (response.ok && PRECACHE.includes(url.pathname)) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(request, copy));
      }
      return response;
    }).catch(() => caches.match(request)));
  }
});
"""


@require_GET
@cache_control(no_cache=True, max_age=0)
def service_worker(request):
    urls = precache_urls()
    # A new offline page (its text, the portal's name) is a new worker too, not only new files.
    offline_page = render(request, "portal/offline.html").content
    version = hashlib.sha256("\n".join(urls).encode() + offline_page).hexdigest()[:12]
    body = SERVICE_WORKER % {
        "cache": json.dumps(CACHE_PREFIX + version),
        "precache": json.dumps(urls),
        "offline": json.dumps(OFFLINE_URL),
        "static_prefix": json.dumps(settings.STATIC_URL),
        "prefix": json.dumps(CACHE_PREFIX),
    }
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
@cache_control(max_age=0, public=True)
def offline(request):
    """The page the service worker shows without a connection: the same for everybody, in
    Vietnamese and English (no language can be chosen offline), with no personal data."""
    return render(request, "portal/offline.html")
