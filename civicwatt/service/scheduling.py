"""The scheduler of `civicwatt run`: APScheduler 3.x with coalescing, one instance per job.

A job that raises is logged with its name and the error and runs again at
its next time; it never takes the process down. When a job ends, its garbage
is collected at once: the statistics job (XLSX, HTML, PDF) left reference cycles
holding 40-120 MB, much of it memory-mapped files, until whenever the next full
collection came, seconds to minutes later, so the service's RSS fell at a random
time (bench/README.md, soak). A full collection costs ~0.3 s of one core, once
per job run.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from civicwatt.service.health import Health

logger = logging.getLogger(__name__)


def make_scheduler(timezone: str, misfire_grace_s: int = 300) -> BackgroundScheduler:
    """Missed runs (downtime, a long previous run) collapse into one; never two at once."""
    return BackgroundScheduler(
        timezone=timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": misfire_grace_s},
    )


def guarded(name: str, job: Callable[[], object], health: Health) -> Callable[[], None]:
    """Wrap a job so its runs are recorded and its failures logged, never raised."""

    def run() -> None:
        health.job_started(name)
        try:
            job()
        except Exception as exc:
            logger.exception("Job %s failed (%s: %s); it runs again at its next scheduled time",
                             name, type(exc).__name__, exc)
            health.job_finished(name, f"{type(exc).__name__}: {exc}")
        else:
            health.job_finished(name)
        finally:
            gc.collect()

    run.__name__ = f"job_{name}"
    return run
