#!/bin/sh
# Entry point of compose.yaml's nginx: render portal.conf.template with the portal's limits,
# then run nginx in the foreground. `start.sh --render-only` stops after writing the file
# (the deployment test renders it that way, then runs `nginx -t` on it).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
export NGINX_CONF_DIR=${NGINX_CONF_DIR:-$here}
export PORTAL_UPSTREAM=${PORTAL_UPSTREAM:-web:8000}
export NGINX_HTTP_LISTEN=${NGINX_HTTP_LISTEN:-80}
export NGINX_HTTPS_LISTEN=${NGINX_HTTPS_LISTEN:-443}
export NGINX_TLS_CERT=${NGINX_TLS_CERT:-/etc/nginx/certs/fullchain.pem}
export NGINX_TLS_KEY=${NGINX_TLS_KEY:-/etc/nginx/certs/privkey.pem}
export NGINX_CACHE_DIR=${NGINX_CACHE_DIR:-/var/cache/nginx/portal}
# The portal's limit for one dossier's documents, plus 1 MiB for the rest of the form.
export NGINX_CLIENT_MAX_BODY_SIZE=$(( ${DOSSIER_MAX_TOTAL_SIZE:-52428800} + 1048576 ))
out=${NGINX_PORTAL_CONF:-/etc/nginx/conf.d/default.conf}

envsubst '${NGINX_CONF_DIR} ${PORTAL_UPSTREAM} ${NGINX_HTTP_LISTEN} ${NGINX_HTTPS_LISTEN} ${NGINX_TLS_CERT} ${NGINX_TLS_KEY} ${NGINX_CACHE_DIR} ${NGINX_CLIENT_MAX_BODY_SIZE}' \
  < "$here/portal.conf.template" > "$out"
[ "${1:-}" = --render-only ] && exit 0
exec nginx -g 'daemon off;'
