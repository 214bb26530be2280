"""Ending the helper processes the tests start (PgBouncer, the studio, workerd)."""

from __future__ import annotations

import subprocess
from typing import Any


def stop(process: subprocess.Popen[Any], *, timeout: float = 10, terminate: bool = True) -> None:
    """Ask `process` to end (SIGTERM, unless it ends by itself once its input closes), then kill it after `timeout`."""
    if terminate:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
