"""Request planning: turn a device's points into the fewest Modbus reads (pure).

A read may cover at most 125 registers (function 3/4) or 2000 bits (function 1/2),
and may read through up to `max_gap` unused registers (for coils and discrete
inputs a gap of `max_gap` registers means 16 * max_gap bits) when that saves a
request. Devices that answer only single-register requests get one read per
register (`one_register_per_request`); a multi-register value is then assembled
from several reads.

The plan also records, for each point, where each of its words comes from
(read index, offset in that read's response), so the poller decodes without
searching and skips exactly the points whose read failed.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from collector.modbus.settings import (
    BIT_FUNCTIONS,
    MAX_BITS_PER_READ,
    MAX_REGISTERS_PER_READ,
    Function,
    RegisterField,
)

_FUNCTION_ORDER = {"holding": 0, "input": 1, "coil": 2, "discrete": 3}


@dataclass(frozen=True, slots=True)
class Read:
    """One request: function, 0-based start address, registers (or bits) to read."""

    function: Function
    address: int
    count: int

    @property
    def end(self) -> int:
        return self.address + self.count


@dataclass(frozen=True, slots=True)
class DevicePlan:
    """The reads for one device and where each point's words come from."""

    reads: tuple[Read, ...]
    points: tuple[tuple[str, RegisterField], ...]
    #: per point, one (read index, offset) per word (one entry for a bit)
    locations: tuple[tuple[tuple[int, int], ...], ...]

    @property
    def registers(self) -> int:
        return sum(r.count for r in self.reads if r.function not in BIT_FUNCTIONS)

    @property
    def bits(self) -> int:
        return sum(r.count for r in self.reads if r.function in BIT_FUNCTIONS)

    def summary(self, label: str) -> str:
        """A start-up log line: "unit 3: 3 reads covering 96 registers for 40 points"."""
        n = len(self.reads)
        covered = f"{self.registers} register{'s' if self.registers != 1 else ''}"
        if self.bits:
            covered += f" + {self.bits} bit{'s' if self.bits != 1 else ''}"
        pts = len(self.points)
        return (f"{label}: {n} read{'s' if n != 1 else ''} covering {covered} "
                f"for {pts} point{'s' if pts != 1 else ''}")


def _limit(function: str, max_registers: int, max_bits: int) -> int:
    return max_bits if function in BIT_FUNCTIONS else max_registers


def _merge(spans: list[tuple[int, int]], limit: int, gap: int,
           barriers: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Greedy left-to-right cover of sorted (start, end) spans by reads of <= limit.

    A read never reads through a gap that overlaps a barrier (an isolated point).
    """
    reads: list[tuple[int, int]] = []
    start = end = -1
    for a, b in spans:
        blocked = any(lo < a and end < hi for lo, hi in barriers)
        if start >= 0 and a - end <= gap and max(end, b) - start <= limit and not blocked:
            end = max(end, b)
            continue
        if start >= 0:
            reads.append((start, end))
        start, end = a, b
    if start >= 0:
        reads.append((start, end))
    return reads


def plan_reads(
    points: Iterable[tuple[str, RegisterField]],
    *,
    max_gap: int = 10,
    one_register_per_request: bool = False,
    max_registers: int = MAX_REGISTERS_PER_READ,
    max_bits: int = MAX_BITS_PER_READ,
    isolate: frozenset[str] = frozenset(),
) -> DevicePlan:
    """Plan the reads of one device's points (name, register) -> DevicePlan.

    Points named in `isolate` get a read of their own (the poller isolates the points
    of a merged read the device refused with "illegal data address").
    """
    pts = tuple(points)
    by_fn: dict[str, list[tuple[int, int]]] = {}
    reads: list[Read] = []
    barriers: dict[str, list[tuple[int, int]]] = {}
    for name, reg in pts:
        if name in isolate:
            reads.append(Read(reg.fn, reg.addr, reg.words))
            barriers.setdefault(reg.fn, []).append((reg.addr, reg.addr + reg.words))
        else:
            by_fn.setdefault(reg.fn, []).append((reg.addr, reg.addr + reg.words))
    for fn in sorted(by_fn, key=_FUNCTION_ORDER.__getitem__):
        spans = sorted(set(by_fn[fn]))
        if one_register_per_request:
            addrs = sorted({a for s, e in spans for a in range(s, e)})
            reads += [Read(fn, a, 1) for a in addrs]  # type: ignore[arg-type]
            continue
        gap = max_gap * 16 if fn in BIT_FUNCTIONS else max_gap
        limit = _limit(fn, max_registers, max_bits)
        for s, e in _merge(spans, limit, gap, barriers.get(fn, ())):
            reads.append(Read(fn, s, e - s))  # type: ignore[arg-type]
    reads = sorted(set(reads), key=lambda r: (_FUNCTION_ORDER[r.function], r.address, r.count))
    return DevicePlan(tuple(reads), pts, _locate(reads, pts))


def plan_per_point(points: Iterable[tuple[str, RegisterField]]) -> DevicePlan:
    """The naive plan: one request per point (the baseline the planner is measured against)."""
    pts = tuple(points)
    reads = [Read(reg.fn, reg.addr, reg.words) for _, reg in pts]
    return DevicePlan(tuple(reads), pts, _locate(reads, pts))


def _locate(
    reads: Sequence[Read], points: Sequence[tuple[str, RegisterField]]
) -> tuple[tuple[tuple[int, int], ...], ...]:
    """For each point's words, the read that holds it and the offset (prefer one read)."""
    by_fn: dict[str, list[int]] = {}
    for i, r in enumerate(reads):
        by_fn.setdefault(r.function, []).append(i)
    out = []
    for _, reg in points:
        candidates = by_fn.get(reg.fn, [])
        whole = next((i for i in candidates
                      if reads[i].address == reg.addr and reads[i].count == reg.words), None)
        if whole is None:
            whole = next((i for i in candidates if reads[i].address <= reg.addr
                          and reg.addr + reg.words <= reads[i].end), None)
        if whole is not None:
            base = reads[whole].address
            out.append(tuple((whole, reg.addr + k - base) for k in range(reg.words)))
            continue
        locs = []
        for a in range(reg.addr, reg.addr + reg.words):
            i = next(i for i in candidates if reads[i].address <= a < reads[i].end)
            locs.append((i, a - reads[i].address))
        out.append(tuple(locs))
    return tuple(out)


def parse_shard(text: str) -> tuple[int, int]:
    """Parse "i/N" (0 <= i < N, 0-based like a StatefulSet ordinal) -> (i, N)."""
    try:
        i_text, n_text = text.split("/")
        i, n = int(i_text), int(n_text)
    except ValueError:
        raise ValueError(f"--shard {text!r}: expected i/N such as 0/3") from None
    if n < 1 or not 0 <= i < n:
        raise ValueError(f"--shard {text!r}: need N >= 1 and 0 <= i < N (0-based)")
    return i, n


def shard_of(device_id: str, count: int) -> int:
    """The shard (0..count-1) that polls a device: a stable hash, same on every machine."""
    return zlib.crc32(device_id.encode("utf-8")) % count
