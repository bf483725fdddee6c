#!/usr/bin/env bash
# Serve the admin and a django-q2 worker together; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
# The demo runs with DEBUG on (tracebacks, and runserver serves the admin's CSS/JS);
# production never runs this script, and DEBUG is off unless set (config/settings.py).
export DEBUG="${DEBUG-1}"
# Links in e-mails (failure notices, reports) point at this server unless SITE_URL says else.
export SITE_URL="${SITE_URL-http://${ATLAS_ADDR:-127.0.0.1:8000}}"
trap 'trap - INT TERM EXIT; kill 0 2>/dev/null; wait 2>/dev/null' INT TERM EXIT
"$PY" manage.py qcluster &
"$PY" manage.py runserver --noreload "${ATLAS_ADDR:-127.0.0.1:8000}" &
echo "Admin: http://${ATLAS_ADDR:-127.0.0.1:8000}/admin/  (Ctrl-C stops the server and the worker)"
wait -n
