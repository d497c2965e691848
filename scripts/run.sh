#!/usr/bin/env bash
# `make run`: SQLite + Celery's file-system broker; the web server, a worker and beat
# run together and Ctrl-C stops all of them. Everything they write goes under PORTAL_VAR_DIR
# (default var/), the folder the dev settings read.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-portal.settings.dev}
VAR_DIR=${PORTAL_VAR_DIR:-var}

# The folders portal/settings/dev.py names under VAR_DIR: the file-system broker's, the cache
# and private storage (the worker stops at start when the broker's are missing).
prepare_var_dir() {
  mkdir -p "$VAR_DIR"/celery/{out,processed,control} "$VAR_DIR"/cache "$VAR_DIR"/private
}

# Sourced (by its test), the script only defines prepare_var_dir.
[[ "${BASH_SOURCE[0]}" != "$0" ]] && return 0

prepare_var_dir
$PY manage.py migrate --no-input -v 0
$PY manage.py seed_demo

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "Đang dừng / stopping..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

.venv/bin/celery -A portal worker -B -Q default,pdf,signing,notifications \
  --concurrency 2 --loglevel INFO -s "$VAR_DIR"/celery/beat-schedule &
pids+=($!)
$PY manage.py runserver 127.0.0.1:8000 --noreload &
pids+=($!)
# The sandbox Zalo server (ZNS notices, OA chatbot messages), labelled SANDBOX in its log.
$PY manage.py zalo_sandbox &
pids+=($!)
sleep 2
cat <<MSG

  Cổng Dịch vụ công đang chạy tại / the portal is running at: http://127.0.0.1:8000
  Tài khoản mẫu / demo accounts (mật khẩu / password: demo-password-2026):
    citizen@example.com      công dân / citizen
    business@example.com     doanh nghiệp / business owner
    reception@example.com    cán bộ tiếp nhận / reception officer
    specialist@example.com   chuyên viên / specialist
    head@example.com         lãnh đạo phòng / department head
    leader@example.com       lãnh đạo cơ quan / agency leader
    admin@example.com        quản trị cơ quan / agency admin (also /admin/)
  Thư điện tử được in ra màn hình này / emails are printed to this console.
  Zalo (SANDBOX): http://127.0.0.1:8026/sandbox/ lists the notices and chatbot answers sent;
    POST {"sender_id": "u1", "text": "<mã hồ sơ> [PIN]"} to /sandbox/inject to write to the OA.
  Ctrl-C để dừng / to stop.

MSG
wait -n "${pids[@]}"
