"""The setpoint service: every few minutes, rules → governor → MQTT commands, audited in the store.

`SetpointJob(config).tick()` is what `civicwatt run` schedules (every
`service.setpoints_every_s` seconds); `civicwatt setpoints plan` calls `plan()`.
Lifecycle of a command, each step a `setpoint_command` row at the command's
time (same series + time, so the status field is overwritten): planned →
sent → acked → applied, or rejected / expired / overridden. Dry-run zones
stop at planned and send nothing.
"""

from __future__ import annotations

import itertools
import json
import logging
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
from civicwatt.setpoints.mqtt import Inbound, SetpointLink
from rules.calendar import is_working
from rules.setpoint_governor import Decision, Governor, StatusChange
from rules.setpoint_settings import HA_KEY, Controller, SetpointSettings, ZoneSetpoints
from rules.setpoints import Level, SiteInputs, targets
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
            self.governor.restore(
                point, str(fields.get("command_id", "")), value, str(fields.get("status")),
                datetime.fromtimestamp(row.time_ns / 1e9, UTC), expires, now,
                float(applied) if isinstance(applied, int | float) else None)
            series, fields_copy = row.series, dict(fields)
            self._audit[str(fields.get("command_id", ""))] = (series, row.time_ns, fields_copy)
            recovered += 1
        return recovered

    def start(self, wait: float = 5.0) -> bool:
        """Recover commands in force, then connect to the site's broker (states and DR are
        read even in dry-run)."""
        self.recover()
        mqtt = self.config.mqtt
        if self.link is None and mqtt is not None:
            password = mqtt.password.get_secret_value() if mqtt.password else None
            tls = mqtt.tls
            self.link = SetpointLink(
                mqtt.url, f"{mqtt.client_id}-setpoints", self.subscriptions(),
                username=mqtt.username, password=password,
                ca_file=tls.ca_file if tls else None, cert_file=tls.cert_file if tls else None,
                key_file=tls.key_file if tls else None)
        return self.link.start(wait) if self.link is not None else False

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
            change = self._handle(message, now)
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
        level, wanted = targets(self.settings, inputs, governor.baselines())
        report = TickReport(now=now, period=inputs.period, level=level)
        for decision in governor.decide(wanted, now):
            command = self._command(decision, now)
            if send:
                self._issue(command, decision)
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
        self._audit_new(command)
        if not command.live:
            self.governor.record(decision, command.command_id, command.created, live=False)
            return
        expiry = int((command.expires_at - command.created).total_seconds())
        sent = self.link is not None and self.link.publish_command(
            command.topic, json.dumps(command.payload(), ensure_ascii=False).encode(),
            command.command_id, expiry, self.response_topic,
            [("expires_at", command.expires_at.isoformat()), ("rule", command.rule),
             ("issuer", self.settings.writer), ("level", str(command.level))])
        if sent:
            self.governor.record(decision, command.command_id, command.created, live=True)
            self._audit_status(command.command_id, "sent")
        else:
            log.warning("setpoints: %s not sent (broker unreachable); it stays planned",
                        command.command_id)

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
        value = parse_state(message.payload) if point else None
        if point is not None and value is not None:
            self.governor.observe_state(point, value, now)
        return None

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
        value = float(value) if isinstance(value, int | float) else None
        return self.governor.observe_response(point, command_id, str(data.get("status")),
                                              value, now)

    # ------------------------------------------------------------------ audit

    def _audit_new(self, command: Command) -> None:
        series = Series.of("setpoint_command", site=self.site, building=command.building,
                           zone=command.zone, point=command.point, rule=command.rule)
        fields: dict = {"value": command.value, "expires_at": command.expires_at.isoformat(),
                        "status": "planned", "command_id": command.command_id,
                        "level": command.level, "reason": command.reason}
        if command.previous is not None:
            fields["previous"] = command.previous
        time_ns = int(command.created.timestamp() * 1e9)
        self._audit[command.command_id] = (series, time_ns, fields)
        if len(self._audit) > 10_000:  # keep memory bounded on a long-running service
            for key in list(self._audit)[:1000]:
                del self._audit[key]
        self._pending_rows.append(Row(series, time_ns, dict(fields)))

    def _audit_status(self, command_id: str, status: str, value: float | None = None) -> None:
        entry = self._audit.get(command_id)
        if entry is None:
            return
        series, time_ns, fields = entry
        fields["status"] = status
        if value is not None and status == "applied":
            fields["applied"] = value
        self._pending_rows.append(Row(series, time_ns, dict(fields)))

    def _audit_changes(self, changes: list[StatusChange], now: datetime) -> None:
        for change in changes:
            log.info("setpoints: %s %s %s %s", change.point, change.command_id, change.status,
                     change.detail)
            self._audit_status(change.command_id, change.status, change.value)
        self._flush()

    def _flush(self) -> None:
        if self.store is None or not self._pending_rows:
            return
        try:
            self.store.write(self._pending_rows)
            self._pending_rows = []
        except StoreError as exc:
            log.warning("setpoints: audit rows kept for the next try (%s)", exc)
            del self._pending_rows[:-10_000]


def utc(text: str, timezone: str) -> datetime:
    """An ISO time; without an offset it is the site's local time."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.astimezone(UTC)

