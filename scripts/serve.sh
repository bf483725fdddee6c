#!/usr/bin/env bash
# Serve the admin and a django-q2 worker together; Ctrl-C or SIGTERM stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
# The demo runs with DEBUG on (tracebacks, and runserver serves the admin's CSS/JS);
# production never runs this script, and DEBUG is off unless set (config/settings.py).
export DEBUG="${DEBUG-1}"
# Links in e-mails (failure notices, reports) point at this server unless SITE_URL says else.
export SITE_URL="${SITE_URL-http://${ATLAS_ADDR:-127.0.0.1:8000}}"
pids=()
# Each child in its own session: a signal to this script's group (Ctrl-C, `kill -TERM
# -<pgid>`) reaches only this script, which stops each child once. qcluster's parent then
# stops its own workers; signalled as a group, its workers died under it and it hung.
setsid "$PY" manage.py qcluster &
pids+=($!)
setsid "$PY" manage.py runserver --noreload "${ATLAS_ADDR:-127.0.0.1:8000}" &
pids+=($!)
alive() {
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}
stop() {
  trap - INT TERM EXIT
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 100); do alive || return 0; sleep 0.1; done
  # Whatever did not stop within 10 s (a wedged task) goes, with its whole session.
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
}
trap stop INT TERM EXIT
echo "Admin: http://${ATLAS_ADDR:-127.0.0.1:8000}/admin/  (Ctrl-C stops the server and the worker)"
wait -n
