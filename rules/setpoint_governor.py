"""Between a target and a write: rate limits, ramps, expiry and never fighting a person.

The rules say what a setpoint *should* be; the governor decides what to send
*now*, remembering per point what was commanded, when, and what the controller
reported. No I/O: the caller feeds it reported states and responses, and turns
its decisions into MQTT commands. Time is passed in; randomness comes from an
injected `random.Random` (seed it in tests).

- Sheds (moves that reduce load) go at once; moves that add load (restores,
  pre-cooling) go in ramp steps, and a restore after a level drop starts after
  a random delay, so zones do not all rebound at the same minute.
- Write on change only; refresh a still-wanted command before it expires;
  minimum dwell (for everything but sheds) and hourly caps per point and per site.
- A reported value that differs from what the controller said it applied is a
  person's override: the point is left alone for the hold time; so is a point
  whose controller rejected a command (no retry storm).
- A live command the broker did not confirm (no PUBACK in time) is `unconfirmed`:
  the MQTT client may still deliver it, so until it expires it counts as in
  force, exactly like a sent one. Reported values that are not finite numbers
  are ignored, and commands taken back from the audit trail are re-clamped.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rules.setpoint_guard import clamp
from rules.setpoint_settings import Controller, SetpointSettings, ZoneSetpoints
from rules.setpoints import Target, round_into

#: Every status a `setpoint_command` row can have. `refused`: the last check before publish
#: found it unsafe; `failed`: a live command that could not be handed to the broker;
#: `unconfirmed`: handed over, but no PUBACK in time (it may still arrive).
STATUSES = ("planned", "sent", "unconfirmed", "acked", "applied", "rejected", "expired",
            "overridden", "refused", "failed")
#: Live statuses of a command that may still reach the controller before it expires.
IN_FLIGHT = ("sent", "unconfirmed", "acked")


@dataclass
class PointMemory:
    value: float | None = None  # the last value commanded (sent, or planned in dry-run)
    command_id: str | None = None
    sent_at: datetime | None = None
    expires_at: datetime | None = None
    status: str | None = None
    live: bool = False
    applied_value: float | None = None
    applied_at: datetime | None = None
    reported: float | None = None
    reported_at: datetime | None = None
    own: float | None = None  # the last value reported while no live command of ours was in force
    level: int = 0
    writes: list[datetime] = field(default_factory=list)
    override_until: datetime | None = None
    restore_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        """A command of ours is in force (or on its way) at `now`."""
        return (self.value is not None and self.expires_at is not None
                and now < self.expires_at and self.status not in ("rejected", "expired",
                                                                  "overridden"))


@dataclass(frozen=True)
class Decision:
    target: Target
    value: float
    previous: float | None
    rule: str  # the target's rule, or restore / refresh
    reason: str
    expires_at: datetime


@dataclass(frozen=True)
class StatusChange:
    point: str
    command_id: str
    status: str
    value: float | None
    detail: str = ""


class Governor:
    def __init__(self, settings: SetpointSettings, rng: random.Random | None = None) -> None:
        self.settings = settings
        self.rng = rng or random.Random(settings.seed)
        self.memory: dict[str, PointMemory] = {}
        self._site_writes: list[datetime] = []
        self._controllers: dict[str, tuple[ZoneSetpoints, Controller]] = {
            c.point: (z, c) for z in settings.zones for c in z.controllers}

    def point(self, point: str) -> PointMemory:
        return self.memory.setdefault(point, PointMemory())

    def restore(self, point: str, command_id: str, value: float, status: str, sent_at: datetime,
                expires_at: datetime, now: datetime, applied: float | None = None) -> bool:
        """Take back a command from the audit trail after a restart, so the controller's echo
        of it is never mistaken for its own setpoint (which would stack the next offset).

        The stored value is not trusted: it is re-clamped to the point's policy and device
        range; a point no longer configured, or a value that is not a number, is skipped.
        Returns whether the command was taken back as in force."""
        found = self._controllers.get(point)
        if found is None:
            return False
        mem = self.point(point)
        if status == "overridden":
            mem.override_until = now + timedelta(seconds=self.settings.hold)  # the safe side
            return False
        safe = clamp(self.settings, *found, value)
        if status not in ("applied", *IN_FLIGHT) or expires_at <= now or safe is None:
            return False
        mem.value, mem.command_id, mem.sent_at, mem.expires_at = safe, command_id, sent_at, \
            expires_at
        mem.status, mem.live = status, True
        echo = clamp(self.settings, *found, applied) if applied is not None else None
        mem.applied_value = echo if echo is not None else (safe if status == "applied" else None)
        mem.applied_at = sent_at if status == "applied" else None
        mem.writes.append(sent_at)
        return True

    # ------------------------------------------------------------------ observations

    def observe_state(self, point: str, value: float, at: datetime) -> bool:
        """A controller's reported setpoint; False (and ignored) if it is not a finite number."""
        if not math.isfinite(value):
            return False
        mem = self.point(point)
        mem.reported, mem.reported_at = value, at
        if not (mem.live and mem.active(at)):
            mem.own = value
        return True

    def baselines(self) -> dict[str, float | None]:
        """Controllers' own setpoints, for `baseline: reported` — never our echoed command,
        so a demand-limit offset can never be stacked on a previous one."""
        return {point: mem.own for point, mem in self.memory.items()}

    def observe_response(self, point: str, command_id: str, status: str,
                         value: float | None, at: datetime) -> StatusChange | None:
        """A controller's ack/applied/rejected; responses to older commands are ignored."""
        mem = self.point(point)
        allowed = {"sent": ("acked", "applied", "rejected"),
                   "unconfirmed": ("acked", "applied", "rejected"),
                   "acked": ("applied", "rejected")}
        if command_id != mem.command_id or status not in allowed.get(mem.status or "", ()):
            return None
        if value is not None and not math.isfinite(value):
            value = None  # the controller's echo is unreadable; what we sent is what it took
        mem.status = status
        if status == "rejected":  # the controller refuses (local mode, its own limits): back off
            mem.override_until = at + timedelta(seconds=self.settings.hold)
        if status == "applied":
            mem.applied_value = value if value is not None else mem.value
            mem.applied_at = at
        return StatusChange(point, command_id, status, value)

    def sweep(self, now: datetime) -> list[StatusChange]:
        """Expire unanswered commands; flag overrides. Call before `decide`."""
        changes: list[StatusChange] = []
        step_of = {c.point: c.step for z in self.settings.zones for c in z.controllers}
        for point, mem in self.memory.items():
            if mem.command_id is None:
                continue
            if mem.status in IN_FLIGHT and mem.expires_at and now >= mem.expires_at:
                mem.status = "expired"
                changes.append(StatusChange(point, mem.command_id, "expired", mem.value,
                                            "no applied response before expiry"))
            elif (mem.live and mem.status == "applied" and mem.active(now)
                  and mem.reported is not None and mem.reported_at is not None
                  and mem.applied_at is not None and mem.reported_at >= mem.applied_at
                  and abs(mem.reported - (mem.applied_value or 0.0))
                  > step_of.get(point, 0.5) / 2):
                mem.status = "overridden"
                mem.override_until = now + timedelta(seconds=self.settings.hold)
                changes.append(StatusChange(
                    point, mem.command_id, "overridden", mem.reported,
                    f"controller reports {mem.reported:g} °C, we applied "
                    f"{mem.applied_value:g} °C: left alone until {mem.override_until:%H:%M} UTC"))
        return changes

    # ------------------------------------------------------------------ decisions

    def decide(self, targets: Iterable[Target], now: datetime) -> list[Decision]:
        """What to write now, sheds first, within every rate limit."""
        limits = self.settings.rate_limits
        hour_ago = now - timedelta(hours=1)
        self._site_writes = [t for t in self._site_writes if t > hour_ago]
        wanted = [d for t in targets if (d := self._one(t, now)) is not None]
        wanted.sort(key=lambda d: (not _sheds(d), d.target.point))
        out: list[Decision] = []
        for decision in wanted:
            mem = self.point(decision.target.point)
            mem.writes = [t for t in mem.writes if t > hour_ago]
            if mem.sent_at is not None and now - mem.sent_at < timedelta(
                    seconds=limits.min_dwell) and not _sheds(decision):
                continue  # dwell gates load increases and refreshes, never a shed
            if len(mem.writes) >= limits.per_point_hour:
                continue
            if len(self._site_writes) >= limits.per_site_hour:
                continue
            out.append(decision)
            self._site_writes.append(now)
            mem.writes.append(now)
        return out

    def record(self, decision: Decision, command_id: str, now: datetime, live: bool,
               confirmed: bool = True) -> None:
        """The decision became a command: planned in dry-run, or handed to the broker live
        (`confirmed` False: no PUBACK yet, it may still be delivered — in force all the same)."""
        mem = self.point(decision.target.point)
        mem.value, mem.command_id, mem.sent_at = decision.value, command_id, now
        mem.expires_at, mem.live = decision.expires_at, live
        mem.status = "planned" if not live else "sent" if confirmed else "unconfirmed"
        mem.applied_value = mem.applied_at = None
        mem.level = decision.target.level

    def _one(self, target: Target, now: datetime) -> Decision | None:
        mem = self.point(target.point)
        settings = self.settings
        if mem.override_until is not None:
            if now < mem.override_until:
                return None
            mem.override_until = None
            mem.value = mem.command_id = mem.status = None  # forget: start afresh
        expires = now + timedelta(seconds=settings.expiry)
        active = mem.active(now)
        if active:
            current = mem.value
        elif mem.reported is not None:
            current = mem.reported
        else:
            current = target.baseline
        assert current is not None
        if not target.active:
            mem.level = 0
            if not active or mem.value == target.value:
                mem.restore_at = None
                return None
            goal, rule = target.value, "restore"
        else:
            goal, rule = target.value, target.rule
            if _adds_load(target.mode, current, goal) and mem.level > target.level:
                rule = "restore"
            else:
                mem.restore_at = None
        if not _adds_load(target.mode, current, goal):
            value = goal
        else:
            value = self._ramp(target, mem, current, goal, now, rule == "restore")
        if value is None:
            return None
        if active and value == mem.value:
            assert mem.expires_at is not None
            if mem.expires_at - now > timedelta(seconds=settings.refresh_before):
                return None  # write on change only
            rule = "refresh"
        elif not active and value == current:
            return None  # the controller already holds it
        if rule == "refresh" and not target.active:
            reason = f"hold before a randomised restore to {target.value:g} °C"
        elif rule in (target.rule, "refresh"):
            reason = target.reason
        else:
            reason = f"restore towards {target.value:g} °C ({target.reason})"
        return Decision(target=target, value=value, previous=current, rule=rule, reason=reason,
                        expires_at=expires)

    def _ramp(self, target: Target, mem: PointMemory, current: float, goal: float,
              now: datetime, restore: bool) -> float | None:
        """One ramp step from `current` towards `goal` (or hold `current` while waiting)."""
        ramp = self.settings.ramp
        if restore:
            if mem.restore_at is None:
                mem.restore_at = now + timedelta(seconds=self.rng.uniform(0, ramp.jitter))
            if now < mem.restore_at:
                return current if mem.active(now) else None
        if mem.sent_at is not None and mem.value == current and mem.active(now) \
                and now - mem.sent_at < timedelta(seconds=ramp.interval):
            return current
        step = ramp.step if goal > current else -ramp.step
        nxt = current + step
        nxt = min(nxt, goal) if step > 0 else max(nxt, goal)
        # a tie between two device steps goes towards the goal: with a ramp step finer than
        # the device step, rounding back to `current` would stall the ramp for good
        return round_into(nxt, target.low, target.high, target.step, step > 0)


def _adds_load(mode: str, current: float, new: float) -> bool:
    """Cooling lower or heating higher = more load."""
    return new < current if mode == "cool" else new > current


def _sheds(decision: Decision) -> bool:
    previous = decision.previous
    return previous is not None and not _adds_load(decision.target.mode, previous,
                                                   decision.value) and previous != decision.value
