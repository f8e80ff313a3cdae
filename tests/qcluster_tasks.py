"""Test-only django-q task for tests/test_qcluster_pg.py: its first attempt hangs (and gets killed)."""

import os
import time
from pathlib import Path


def hang_on_first_attempt(marker: str, done: str):
    marker_path = Path(marker)
    if not marker_path.exists():
        # Written aside, then renamed: the test never reads a half-written pid.
        partial = marker_path.with_suffix(".partial")
        partial.write_text(str(os.getpid()))
        os.replace(partial, marker_path)
        time.sleep(30)  # the test kills this worker now
        return "first attempt"
    Path(done).write_text(str(os.getpid()))
    return "second attempt"
