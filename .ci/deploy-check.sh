#!/usr/bin/env bash
# Django's deployment checklist with production settings: any warning fails CI.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
export DEBUG=0
export TESTING=0
export SECRET_KEY="${DEPLOY_CHECK_SECRET_KEY:-$($PY -c 'import secrets; print(secrets.token_urlsafe(64))')}"
export ALLOWED_HOSTS=dsar.example.org
export SITE_URL=https://dsar.example.org
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export FILE_ENCRYPTION_KEYS="${DEPLOY_CHECK_FILE_KEY:-$($PY -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')}"
$PY manage.py check --deploy --fail-level WARNING
