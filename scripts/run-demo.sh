#!/usr/bin/env bash
# Web server and django-q2 worker together; Ctrl-C stops both.
set -euo pipefail
host=${1:-127.0.0.1}; port=${2:-8000}
py=.venv/bin/python
export SITE_URL=${SITE_URL:-http://$host:$port}  # links in the demo's emails point at this server
trap 'kill 0' EXIT INT TERM
$py manage.py qcluster &
cat <<TEXT

  The DSAR portal is running.
    Public pages:  http://$host:$port/thamra/   (also /daftra/ /qomoor/ /jambo/ /aqari/)
    Staff admin:   http://$host:$port/admin/
    Logins:        admin, or <slug>-officer (e.g. thamra-officer); password above
                   (also in var/demo-password.txt unless DEMO_PASSWORD is set)
    Emails:        written to var/mail/ (open the newest file to confirm a request)

TEXT
$py manage.py runserver "$host:$port" --noreload
