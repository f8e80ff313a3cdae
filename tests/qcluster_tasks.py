"""Test-only django-q task for tests/test_qcluster_pg.py: its first attempt hangs (and gets killed)."""

import os
import time
from pathlib import Path


def hang_on_first_attempt(marker: str, done: str):
    marker_path = Path(marker)
    if not marker_path.exists():
        marker_path.write_text(str(os.getpid()))
        time.sleep(30)  # the test kills this worker now
        return "first attempt"
    Path(done).write_text(str(os.getpid()))
    return "second attempt"
