"""The setpoint service: every few minutes, rules → governor → MQTT commands, audited in the store.

`SetpointJob(config).tick()` is what `civicwatt run` schedules (every
`service.setpoints_every_s` seconds); `civicwatt setpoints plan` calls `plan()`.
Lifecycle of a command, each step a `setpoint_command` row at the command's
time (same series + time, so the status field is overwritten): planned →
sent (or unconfirmed: no PUBACK in time) → acked → applied, or rejected /
expired / overridden; `refused` when the last check before publish finds it
unsafe, `failed` when a live command could not be handed to the broker.
Dry-run zones stop at planned and send nothing.

Nothing one zone does stops another: a controller state that is not a finite
number inside the device's range is ignored (logged), each zone's targets and
each command are handled on their own, and an audit row the store cannot take
is logged and dropped rather than retried forever.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from civicwatt.config import SiteConfig
from civicwatt.config.calendar import site_calendar
from civicwatt.setpoints.inputs import (
    PeriodSource,
    closed_zones,
    forecast_peak,
    parse_dr,
    parse_state,
    schedule_periods,
    tariff_periods,
)
from civicwatt.setpoints.mqtt import FAILED, SENT, Inbound, SetpointLink
from rules.calendar import is_working
from rules.setpoint_governor import Decision, Governor, StatusChange
from rules.setpoint_guard import refusal
from rules.setpoint_settings import HA_KEY, Controller, SetpointSettings, ZoneSetpoints
from rules.setpoints import Level, SiteInputs, Target, site_level, zone_targets
from store import Row, Series, Store, StoreError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    command_id: str
    point: str
    zone: str
    building: str
    topic: str
    mode: str
    value: float
    previous: float | None
    unit: str
    level: int
    rule: str
    reason: str
    created: datetime
    expires_at: datetime
    live: bool

    def payload(self) -> dict:
        return {"command_id": self.command_id, "value": self.value, "unit": self.unit,
                "mode": self.mode, "level": self.level, "reason": self.reason,
                "rule": self.rule, "previous": self.previous,
                "expires_at": self.expires_at.isoformat()}

    def plan_entry(self) -> dict:
        return {"point": self.point, "zone": self.zone, "topic": self.topic, "mode": self.mode,
                "value": self.value, "unit": self.unit, "level": self.level,
                "reason": self.reason, "expires_at": self.expires_at.isoformat()}


@dataclass
class TickReport:
    now: datetime
    period: str
    level: Level
    commands: list[Command] = field(default_factory=list)
    changes: list[StatusChange] = field(default_factory=list)


class SetpointJob:
    """Owns the governor's memory, the MQTT link and the audit trail of one site."""

    def __init__(self, config: SiteConfig, store: Store | None = None,
                 clock: Callable[[], datetime] | None = None,
                 rng: random.Random | None = None, periods: PeriodSource | None = None,
                 link: SetpointLink | None = None) -> None:
        if config.setpoints is None:
            raise ValueError("the site config has no `setpoints:` section")
        self.config = config
        self.settings: SetpointSettings = config.setpoints
        self.site = config.site.id
        self.tz = config.site.timezone
        self.store = store
        self.clock = clock or (lambda: datetime.now(UTC))
        self.governor = Governor(self.settings, rng)
        # The site's tariff (metering.tariff) when there is one, else setpoints.period_schedule.
        self.periods = periods or tariff_periods(config) or schedule_periods(config)
        self.link = link
        self.zones = config.zones()
        self.calendar = site_calendar(config)
        self._controllers: dict[str, tuple[ZoneSetpoints, Controller]] = {
            c.point: (z, c) for z in self.settings.zones for c in z.controllers}
        self._state_topics = {self.state_topic(z, c): c.point
                              for z, c in self._controllers.values()}
        self._dr: tuple[int, datetime] | None = None
        self._audit: dict[str, tuple[Series, int, dict]] = {}
        self._pending_rows: list[Row] = []
        self._seq = itertools.count(1)
        self._bad_state: set[str] = set()  # points whose last state was refused (log once)
        self._link_error: str | None = None

    # ------------------------------------------------------------------ topics

    def _fields(self, zone: ZoneSetpoints, controller: Controller) -> dict[str, str]:
        building = self.zones.get(zone.zone, ("", None))[0]
        return {"site": self.site, "building": building, "zone": zone.zone,
                "point": controller.point, "mode": controller.mode,
                "ha": HA_KEY[controller.mode]}

    def command_topic(self, zone: ZoneSetpoints, controller: Controller) -> str:
        return controller.topic or self.settings.topics.command.format(
            **self._fields(zone, controller))

    def state_topic(self, zone: ZoneSetpoints, controller: Controller) -> str:
        return controller.state_topic or self.settings.topics.state.format(
            **self._fields(zone, controller))

    @property
    def response_topic(self) -> str:
        return self.settings.topics.response.format(site=self.site)

    @property
    def dr_topic(self) -> str | None:
        topic = self.settings.levels.dr_topic
        return topic.format(site=self.site) if topic else None

    def subscriptions(self) -> list[str]:
        return [*self._state_topics, self.response_topic, *filter(None, [self.dr_topic])]

    # ------------------------------------------------------------------ service

    def recover(self, now: datetime | None = None) -> int:
        """Re-read the commands still in force from the audit trail (after a restart)."""
        if self.store is None:
            return 0
        now = now or self.clock()
        end = int(now.timestamp() * 1e9) + 1
        start = end - int((self.settings.expiry + self.settings.hold + 3600) * 1e9)
        try:
            rows = self.store.read_rows("setpoint_command", start, end, where={"site": self.site})
        except StoreError as exc:
            log.warning("setpoints: cannot recover commands in force (%s)", exc)
            return 0
        latest: dict[str, Row] = {}
        for row in sorted(rows, key=lambda r: r.time_ns):
            latest[row.series.tag("point")] = row
        recovered = 0
        for point, row in latest.items():
            fields = row.fields
            try:
                expires = datetime.fromisoformat(str(fields["expires_at"]))
                value = float(fields["value"])  # type: ignore[arg-type]
            except (KeyError, TypeError, ValueError):
                continue
            applied = fields.get("applied")
            taken = self.governor.restore(
                point, str(fields.get("command_id", "")), value, str(fields.get("status")),
                datetime.fromtimestamp(row.time_ns / 1e9, UTC), expires, now,
                float(applied) if isinstance(applied, int | float) else None)
            if taken and self.governor.point(point).value != value:
                log.warning("setpoints: the audit trail holds %r °C for %s, outside its policy "
                            "and device limits; taken back as %g °C", value, point,
                            self.governor.point(point).value)
            series, fields_copy = row.series, dict(fields)
            self._audit[str(fields.get("command_id", ""))] = (series, row.time_ns, fields_copy)
            recovered += taken
        return recovered

    def start(self, wait: float = 5.0) -> bool:
        """Recover commands in force, then connect to the site's broker with the collector's
        MQTT settings (states and DR are read even in dry-run)."""
        self.recover()
        if self.link is None and self.config.mqtt is not None:
            from civicwatt.service.pipeline import mqtt_from_site

            try:
                settings = mqtt_from_site(self.config)[0]
            except ValueError as exc:  # a TLS file that does not exist
                self._link_error = str(exc)
                log.error("setpoints: %s; no setpoint commands can be sent", exc)
                return False
            self.link = SetpointLink(settings, self.subscriptions())
        return self.link.start(wait) if self.link is not None else False

    def check(self) -> tuple[bool, dict]:
        """For `/healthz`: the broker link, and the commands that did not leave as they should."""
        live = [z.zone for z in self.settings.zones
                if z.exempt is None and self.settings.zone_mode(z) == "live"]
        if self.link is None:
            error = self._link_error or "no mqtt: section in the site config"
            return not live, {"connected": False, "live_zones": len(live), "error": error}
        ok, details = self.link.check()
        return ok, {**details, "live_zones": len(live)}

    def stop(self) -> None:
        if self.link is not None:
            self.link.stop()
        self._flush()

    def __call__(self) -> TickReport:
        """For the scheduler: one evaluation at the clock's time."""
        return self.tick()

    def receive(self, now: datetime | None = None) -> list[StatusChange]:
        """Take in what the broker delivered: states, responses, DR levels."""
        now = now or self.clock()
        changes: list[StatusChange] = []
        for message in self.link.drain() if self.link is not None else []:
            try:
                change = self._handle(message, now)
            except Exception:  # one odd message must not stop the others
                log.exception("setpoints: message on %s not handled", message.topic)
                continue
            if change is not None:
                changes.append(change)
        self._audit_changes(changes, now)
        return changes

    def tick(self, now: datetime | None = None) -> TickReport:
        now = now or self.clock()
        changes = self.receive(now)
        swept = self.governor.sweep(now)
        self._audit_changes(swept, now)
        report = self._evaluate(now, send=True)
        report.changes = changes + swept
        self._flush()
        return report

    def plan(self, now: datetime) -> TickReport:
        """What would be commanded at `now`, from a fresh memory; sends and audits nothing."""
        return self._evaluate(now, send=False)

    # ------------------------------------------------------------------ evaluation

    def inputs(self, now: datetime) -> SiteInputs:
        period, upcoming = self.periods(now)
        local = now.astimezone(ZoneInfo(self.tz))
        workday = is_working(local.date(), self.calendar)
        dr = None
        if self._dr is not None and now < self._dr[1]:
            dr = self._dr[0]
        peak = None
        forecast = self.settings.levels.forecast
        if forecast is not None and self.store is not None:
            peak = forecast_peak(self.store, self.site, now, forecast.horizon)
        return SiteInputs(now=now, timezone=self.tz,
                          workday=workday,
                          closed_zones=closed_zones(self.config, self.calendar, local.date()),
                          period=period, upcoming=upcoming, forecast_peak_kw=peak, dr_level=dr)

    def _evaluate(self, now: datetime, send: bool) -> TickReport:
        inputs = self.inputs(now)
        governor = self.governor if send else Governor(self.settings, random.Random(0))
        level = site_level(self.settings, inputs)
        reported = governor.baselines()
        wanted: list[Target] = []
        for zone in self.settings.zones:
            try:
                wanted += zone_targets(self.settings, inputs, level, zone, reported)
            except Exception:  # one zone's bug must not stop the others
                log.exception("setpoints: zone %s skipped at %s", zone.zone, now.isoformat())
        report = TickReport(now=now, period=inputs.period, level=level)
        for decision in governor.decide(wanted, now):
            command = self._command(decision, now)
            if send:
                try:
                    self._issue(command, decision)
                except Exception:  # one command's failure must not stop the others
                    log.exception("setpoints: %s to %s not issued", command.command_id,
                                  command.point)
            report.commands.append(command)
        return report

    def _command(self, decision: Decision, now: datetime) -> Command:
        zone, controller = self._controllers[decision.target.point]
        live = self.settings.zone_mode(zone) == "live"
        command_id = f"{self.site}-{now:%Y%m%dT%H%M%S}-{next(self._seq):05d}"
        return Command(
            command_id=command_id, point=controller.point, zone=zone.zone,
            building=self.zones.get(zone.zone, ("", None))[0],
            topic=self.command_topic(zone, controller), mode=controller.mode,
            value=decision.value, previous=decision.previous, unit="°C",
            level=decision.target.level, rule=decision.rule, reason=decision.reason,
            created=now, expires_at=decision.expires_at, live=live)

    def _issue(self, command: Command, decision: Decision) -> None:
        """Audit the command, check it one last time, then publish it (live zones only)."""
        zone, controller = self._controllers[command.point]
        try:
            body = json.dumps(command.payload(), ensure_ascii=False, allow_nan=False).encode()
            why = refusal(self.settings, zone, controller, json.loads(body))
        except ValueError as exc:  # NaN or ±inf somewhere in the payload
            body, why = b"", f"the payload is not valid JSON ({exc})"
        self._audit_new(command)
        if why is not None:
            log.error("setpoints: %s to %s refused before publish: %s", command.command_id,
                      command.point, why)
            self._audit_status(command.command_id, "refused", reason=why)
            return
        if not command.live:
            self.governor.record(decision, command.command_id, command.created, live=False)
            return
        outcome = FAILED if self.link is None else self.link.publish_command(
            command.topic, body, command.command_id,
            int((command.expires_at - command.created).total_seconds()), self.response_topic,
            [("expires_at", command.expires_at.isoformat()), ("rule", command.rule),
             ("issuer", self.settings.writer), ("level", str(command.level))])
        if outcome == FAILED:
            log.warning("setpoints: %s to %s not sent: no connection to the MQTT broker; it is "
                        "retried at the next evaluation", command.command_id, command.point)
            self._audit_status(command.command_id, FAILED, reason="no connection to the broker")
            return
        self.governor.record(decision, command.command_id, command.created, live=True,
                             confirmed=outcome == SENT)
        if outcome != SENT:
            log.warning("setpoints: %s to %s unconfirmed: no PUBACK in time; it may still be "
                        "delivered, so it counts as in force until %s", command.command_id,
                        command.point, command.expires_at.isoformat())
        self._audit_status(command.command_id, outcome)

    # ------------------------------------------------------------------ inbound

    def _handle(self, message: Inbound, now: datetime) -> StatusChange | None:
        if message.topic == self.dr_topic:
            dr = parse_dr(message.payload, now, self.settings.levels.dr_max_age)
            if dr is None:
                log.warning("setpoints: ignoring DR payload %r", message.payload[:80])
            else:
                self._dr = dr
            return None
        if message.topic == self.response_topic:
            return self._response(message, now)
        point = self._state_topics.get(message.topic)
        if point is not None:
            self._state(point, message.payload, now)
        return None

    def _state(self, point: str, payload: bytes, now: datetime) -> None:
        """A controller's reported setpoint: a finite number inside the device's own range, or
        ignored with one warning until the controller reports sense again."""
        controller = self._controllers[point][1]
        value = parse_state(payload)
        if value is not None and controller.min <= value <= controller.max:
            self._bad_state.discard(point)
            self.governor.observe_state(point, value, now)
            return
        if point not in self._bad_state:
            self._bad_state.add(point)
            log.warning("setpoints: %s reports %r, not a setpoint within its device range "
                        "%g..%g °C; ignored until it reports a valid value (check the "
                        "controller)", point, payload[:40], controller.min, controller.max)

    def _response(self, message: Inbound, now: datetime) -> StatusChange | None:
        try:
            data = json.loads(message.payload.decode())
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        if not isinstance(data, dict):
            return None
        command_id = (message.correlation or b"").decode(errors="replace") or str(
            data.get("command_id", ""))
        entry = self._audit.get(command_id)
        if entry is None:
            return None
        point = entry[0].tag("point")
        value = data.get("value")
        value = float(value) if isinstance(value, int | float) and not isinstance(
            value, bool) and math.isfinite(value) else None
        return self.governor.observe_response(point, command_id, str(data.get("status")),
                                              value, now)

    # ------------------------------------------------------------------ audit

    def _audit_new(self, command: Command) -> None:
        """The command's audit row (without numbers the store cannot hold: a refused NaN)."""
        series = Series.of("setpoint_command", site=self.site, building=command.building,
                           zone=command.zone, point=command.point, rule=command.rule)
        fields: dict = {"value": command.value, "expires_at": command.expires_at.isoformat(),
                        "status": "planned", "command_id": command.command_id,
                        "level": command.level, "reason": command.reason}
        if command.previous is not None:
            fields["previous"] = command.previous
        fields = {k: v for k, v in fields.items()
                  if not (isinstance(v, float) and not math.isfinite(v))}
        time_ns = int(command.created.timestamp() * 1e9)
        self._audit[command.command_id] = (series, time_ns, fields)
        if len(self._audit) > 10_000:  # keep memory bounded on a long-running service
            for key in list(self._audit)[:1000]:
                del self._audit[key]
        self._pending_rows.append(Row(series, time_ns, dict(fields)))

    def _audit_status(self, command_id: str, status: str, value: float | None = None,
                      reason: str | None = None) -> None:
        entry = self._audit.get(command_id)
        if entry is None:
            return
        series, time_ns, fields = entry
        fields["status"] = status
        if value is not None and status == "applied":
            fields["applied"] = value
        if reason is not None:
            fields["detail"] = reason
        self._pending_rows.append(Row(series, time_ns, dict(fields)))

    def _audit_changes(self, changes: list[StatusChange], now: datetime) -> None:
        for change in changes:
            log.info("setpoints: %s %s %s %s", change.point, change.command_id, change.status,
                     change.detail)
            self._audit_status(change.command_id, change.status, change.value)
        self._flush()

    def _flush(self) -> None:
        """Write the pending audit rows. A store outage keeps them for the next try; a row the
        store refuses as data is logged and dropped, so it never blocks the rows after it."""
        if self.store is None or not self._pending_rows:
            return
        try:
            self.store.write(self._pending_rows)
            self._pending_rows = []
            return
        except StoreError as exc:
            log.warning("setpoints: audit rows kept for the next try (%s)", exc)
            del self._pending_rows[:-10_000]
            return
        except Exception:  # a bad row: find it below and keep the good ones
            rows, self._pending_rows = self._pending_rows, []
        for i, row in enumerate(rows):
            try:
                self.store.write([row])
            except StoreError as exc:
                log.warning("setpoints: audit rows kept for the next try (%s)", exc)
                self._pending_rows = rows[i:][-10_000:]
                return
            except Exception as exc:  # the store refuses this row as data
                log.error("setpoints: audit row of %s dropped, the store refuses it: %s",
                          row.fields.get("command_id", row.series.key), exc)


def utc(text: str, timezone: str) -> datetime:
    """An ISO time; without an offset it is the site's local time."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.astimezone(UTC)

