"""Imported by the fork server of bench/pdf_forkserver.py: weasyprint loaded and its font caches warm."""

from bench.pdf_forkserver import _warm

_warm()
