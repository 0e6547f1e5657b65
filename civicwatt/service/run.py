"""`civicwatt run`: the whole pipeline in one process.

Collectors (MQTT + Modbus) and the spool writer run continuously; metering,
forecasting, the daily report and the setpoint rules run on an APScheduler
schedule (coalesced, one instance each, misfire grace). `/healthz` and
`/metrics` serve the state of all of it. `stop()` — on SIGTERM — stops taking
readings, flushes the spool, lets running jobs finish and closes the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from civicwatt.config import SiteConfig
from civicwatt.service.health import Health, Metric
from civicwatt.service.http import HttpServer
from civicwatt.service.pipeline import Pipeline
from civicwatt.service.scheduling import guarded, make_scheduler
from store import open_store

logger = logging.getLogger(__name__)


class Service:
    """Everything `civicwatt run` hosts for one site."""

    def __init__(self, site: SiteConfig, clock: Callable[[], datetime] | None = None) -> None:
        self.site = site
        self.clock = clock or (lambda: datetime.now(UTC))
        settings = site.service
        self.store = open_store(site.store.url, site.base_dir)
        self.pipeline = Pipeline(site, self.store, site.base_dir / settings.spool,
                                 settings.spool_capacity,
                                 dead_capacity=settings.dead_letter_capacity)
        self.setpoints = self._setpoint_job()
        self.platform = self._platform_link()
        self.health = Health()
        self.health.add_check("collection", self.pipeline.check)
        self.health.add_check("store", self.pipeline.store_check)
        if self.pipeline.collector is not None:  # broker state, last error, next retry
            self.health.add_check("mqtt", self.pipeline.collector.consumer.check)
        if self.setpoints is not None:
            self.health.add_check("setpoints", self.setpoints.check)
        if self.pipeline.poller is not None:
            from civicwatt.service.modbus import poller_check

            poller = self.pipeline.poller
            self.health.add_check("modbus", lambda: poller_check(poller))
        self.health.add_metrics(self._metrics)
        if self.platform is not None:
            self.health.add_check("platform", self.platform.check)
            self.health.add_metrics(self.platform.metrics)
        host, port = settings.http.rsplit(":", 1)
        self.http = HttpServer(self.health, host, int(port), self._api())
        self.scheduler = make_scheduler(site.site.timezone)
        self._metered_once = False
        # metering deletes and rewrites a range of intervals; the platform scan must never read
        # it half-written (it would offer partial hours)
        self._intervals = threading.Lock()
        self._add_jobs()

    def _api(self):
        """The read API (api.enabled): keys from the state file, live Modbus device states."""
        if not self.site.api.enabled:
            return None
        from civicwatt.api.context import Api
        from civicwatt.api.keys import KeyStore

        poller = self.pipeline.poller
        devices = (lambda: {d: s.online for d, s in poller.state.items()}) if poller else None
        jobs = self.health.jobs
        return Api(self.site, self.store, KeyStore(self.site.base_dir / self.site.service.spool),
                   devices, lambda: tuple(getattr(jobs.get(j), "last_success", None)
                                          for j in ("meter", "forecast")))

    def _setpoint_job(self):
        if self.site.setpoints is None:
            return None
        from civicwatt.jobs.setpoints import SetpointJob

        return SetpointJob(self.site, store=self.store, clock=self.clock)

    def _platform_link(self):
        if self.site.platform is None:
            return None
        from civicwatt.platform.service import PlatformLink

        return PlatformLink(self.site, self.store, self.site.base_dir / self.site.service.spool)

    def _add_jobs(self) -> None:
        s = self.site.service
        soon = datetime.now(UTC) + timedelta(seconds=1)
        jobs: list[tuple[str, Callable[[], object], object, datetime | None]] = [
            ("meter", self.meter, IntervalTrigger(seconds=s.metering_every_s), soon),
            ("forecast", self.forecast, IntervalTrigger(seconds=s.forecast_every_s),
             soon + timedelta(seconds=2)),
            ("report", self.report, CronTrigger(hour=int(s.report_at[:2]),
                                                minute=int(s.report_at[3:]),
                                                timezone=self.site.site.timezone), None),
        ]
        if self.site.statistics.schedule:
            at = self.site.statistics.at
            jobs.append(("statistics", self.statistics,
                         CronTrigger(hour=int(at[:2]), minute=int(at[3:]),
                                     timezone=self.site.site.timezone),
                         soon + timedelta(seconds=60)))  # catch up after the first metering
        if self.setpoints is not None:
            jobs.append(("setpoints", self.setpoints,
                         IntervalTrigger(seconds=s.setpoints_every_s), soon))
        if self.platform is not None:
            jobs.append(("platform", self.upload,
                         IntervalTrigger(seconds=self.site.platform.every_s),
                         soon + timedelta(seconds=3)))
        for name, job, trigger, first in jobs:
            extra = {"next_run_time": first} if first else {}
            self.scheduler.add_job(guarded(name, job, self.health), trigger, id=name, name=name,
                                   **extra)

    # -- jobs --------------------------------------------------------------------------
    def meter(self) -> None:
        """Re-meter yesterday and today (the first run: `catch_up_days`), days a failed run
        missed and days late data touched (civicwatt/jobs/metering_days.py)."""
        if self.site.metering is None:
            return
        from civicwatt.jobs.metering_days import meter_due

        days = 1 if self._metered_once else self.site.service.catch_up_days
        with self._intervals:
            summary = meter_due(self.site, self.store, self.pipeline.writer.spool, self.clock(),
                                regular_days=days)
        self._metered_once = True
        logger.info("Metering: %d days, %d points, %d energy_interval rows, %.1f kWh, "
                    "%d estimated intervals, %d counter events", summary.days, summary.points,
                    summary.rows, summary.kwh, summary.estimated, len(summary.events))
        for b in summary.balances:
            if not b.ok:
                logger.warning("Meter %s and its sub-meters differ by %.1f %% (%.1f of %.1f kWh):"
                               " check for an unmetered circuit or a sub-meter wired to the wrong"
                               " parent", b.parent, b.imbalance_pct, b.imbalance_kwh, b.parent_kwh)

    def upload(self) -> None:
        """Offer new and re-metered hours to the platform links (never mid-metering)."""
        with self._intervals:
            self.platform.scan()

    def forecast(self) -> None:
        from civicwatt.jobs.forecast import run_forecast

        now_ns = int(self.clock().timestamp() * 1e9)
        summary = run_forecast(self.site, self.store, now_ns)
        failed = [r for r in summary.results if r.error]
        logger.info("Forecast: %d rows for %d targets; temperature: %s", summary.rows_written,
                    len(summary.results) - len(failed), summary.temperature)
        for r in failed:
            logger.warning("Forecast for building %s zone %s not made: %s", r.building, r.zone,
                           r.error)

    def report(self) -> None:
        from civicwatt.reports.job import daily

        result = daily(self.site, self.clock())
        logger.info("Daily report written: %s", ", ".join(map(str, result.files)))

    def statistics(self) -> None:
        """Each finished month, quarter and year without its file (civicwatt/statistics/
        scheduled.py; the outputs hook there)."""
        from zoneinfo import ZoneInfo

        from civicwatt.statistics.scheduled import run_scheduled

        today = self.clock().astimezone(ZoneInfo(self.site.site.timezone)).date()
        written = run_scheduled(self.site, self.store, today)
        if written:
            logger.info("Statistics written: %s", ", ".join(map(str, written)))

    # -- health ------------------------------------------------------------------------
    def _metrics(self) -> list[Metric]:
        writer = self.pipeline.writer
        spool, stats = writer.spool, writer.stats
        samples = [
            Metric("civicwatt_spool_depth", spool.depth, help="readings waiting"),
            Metric("civicwatt_readings_written_total", stats.written, "counter"),
            Metric("civicwatt_store_up", float(stats.store_ok)),
            Metric("civicwatt_store_write_requests_total", stats.requests, "counter",
                   help="write requests sent to the store, retries and bisection included"),
            Metric("civicwatt_dead_letters", spool.dead, help="dead-letter rows (capped)"),
            Metric("civicwatt_dead_letters_held", spool.held,
                   help="bad messages held in the spool because the dead-letter table is full"),
        ]
        if stats.outage is not None:
            samples.append(Metric("civicwatt_store_outage_seconds",
                                  time.time() - stats.outage.since, "gauge",
                                  {"cause": stats.outage.cause}))
        if self.pipeline.collector is not None:
            mqtt = self.pipeline.collector.consumer.stats
            samples += [Metric("civicwatt_mqtt_messages_received_total", mqtt.received,
                               "counter"),
                        Metric("civicwatt_mqtt_readings_accepted_total", mqtt.accepted,
                               "counter")]
            samples += [Metric("civicwatt_mqtt_rejected_total", n, "counter", {"reason": r})
                        for r, n in mqtt.rejected.items()]
        if self.pipeline.poller is not None:
            from civicwatt.service.modbus import poller_metrics

            samples += poller_metrics(self.pipeline.poller)
        return samples

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        self.http.start()
        self.pipeline.start()
        if self.setpoints is not None:
            self.setpoints.start()
        if self.platform is not None:
            self.platform.start()
        self.scheduler.start()
        logger.info("civicwatt running for site %s: store %s, jobs %s", self.site.site.id,
                    self.store.description, ", ".join(j.id for j in self.scheduler.get_jobs()))

    def stop(self) -> None:
        started = time.monotonic()
        logger.info("Stopping: no new readings; flushing the spool; letting running jobs end")
        if self.platform is not None:
            self.platform.request_stop()
        self.pipeline.stop()
        if self.scheduler.running:  # not yet, when start() failed on the broker
            self.scheduler.shutdown(wait=True)
        if self.setpoints is not None:
            self.setpoints.stop()
        if self.platform is not None:
            self.platform.stop()
        self.http.stop()
        depth = self.pipeline.writer.spool.depth
        self.store.close()
        logger.info("Stopped in %.1f s; spool depth %d", time.monotonic() - started, depth)
