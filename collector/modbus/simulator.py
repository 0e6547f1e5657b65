"""Simulated Modbus devices on a real pymodbus server, for tests, benchmarks and demos.

Each `SimulatedDevice` is a pymodbus `SimDevice` (3.16's server data model) whose
values can be changed while the server runs, and which can be made busy (answers
exception 0x06), slow, dead (never answers) or given illegal addresses. Units the
server does not know answer 0x0B "gateway target failed to respond", like an
RS-485 gateway with nothing behind that unit id.

The server runs on its own event loop in a thread (`SimulatorServer`), so tests
and benchmarks can drive it from sync code, from another loop, or from `mbpoll`.
It uses `ModbusTcpServer` (what `StartAsyncTcpServer` wraps) so that several
servers can run in one process and each can be shut down on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from pymodbus.constants import ExcCodes
from pymodbus.framer import FramerType
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from collector.modbus.decode import encode

_FC_BLOCK = {1: "coil", 5: "coil", 15: "coil", 2: "discrete", 3: "holding", 6: "holding",
             16: "holding", 22: "holding", 23: "holding", 4: "input"}


class SimulatedDevice:
    """One unit id with `size` holding and input registers and `size` coils/discretes."""

    def __init__(self, unit: int, size: int = 256) -> None:
        self.unit = unit
        self.size = size
        self.mode = "ok"  # ok | dead
        self.busy_for = 0  # answer "device busy" to this many requests
        self.delay = 0.0  # seconds before answering
        self.illegal: list[tuple[str, int, int]] = []  # (function, start, end) -> 0x02
        self.requests = 0
        self.tracker: list[int] = [0, 0]  # [in flight now, most ever] (shared by a server)
        self._pending: dict[str, dict[int, int | bool]] = {}
        self._lock = threading.Lock()

    # -- values ----------------------------------------------------------------
    def set_words(self, function: str, address: int, words: Sequence[int]) -> None:
        with self._lock:
            block = self._pending.setdefault(function, {})
            for i, w in enumerate(words):
                block[address + i] = int(w)

    def set_value(self, function: str, address: int, value: float | int | str | bool,
                  type_: str, order: str = "ABCD", length: int | None = None) -> list[int]:
        words = encode(value, type_, order, length)
        self.set_words(function, address, words)
        return words

    def set_bits(self, function: str, address: int, bits: Sequence[bool]) -> None:
        with self._lock:
            block = self._pending.setdefault(function, {})
            for i, b in enumerate(bits):
                block[address + i] = bool(b)

    def simdevice(self) -> SimDevice:
        # one SimData holding a list of values: pymodbus 3.16 multiplies a SimData's
        # registers by `count` twice while checking it, so count=N is quadratic
        def bits() -> list[SimData]:
            return [SimData(0, values=[False] * self.size, datatype=DataType.BITS)]

        def regs() -> list[SimData]:
            return [SimData(0, values=[0] * self.size, datatype=DataType.REGISTERS)]

        # (coils, discrete inputs, holding registers, input registers), all distinct
        return SimDevice(id=self.unit, simdata=(bits(), bits(), regs(), regs()),
                         action=self._action)

    # -- behaviour, called by the server for every request -----------------------
    async def _action(self, function_code: int, start_address: int, address: int, count: int,
                      registers: list[int], set_values: object) -> ExcCodes | None:
        self.requests += 1
        if self.mode == "dead":  # never answers (not counted in flight: the master gave up)
            await asyncio.sleep(3600)  # cancelled when the server stops
        self.tracker[0] += 1
        self.tracker[1] = max(self.tracker[1], self.tracker[0])
        try:
            return await self._answer(function_code, start_address, address, count, registers)
        finally:
            self.tracker[0] -= 1

    async def _answer(self, function_code: int, start_address: int, address: int, count: int,
                      registers: list[int]) -> ExcCodes | None:
        block = _FC_BLOCK.get(function_code, "holding")
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.busy_for > 0:
            self.busy_for -= 1
            return ExcCodes.DEVICE_BUSY
        for fn, lo, hi in self.illegal:
            if fn == block and address < hi and lo < address + count:
                return ExcCodes.ILLEGAL_ADDRESS
        with self._lock:
            pending = self._pending.pop(block, None)
        if pending:
            if block in ("coil", "discrete"):
                for a, bit in pending.items():  # 16 bits per register, bit 0 first
                    reg, pos = divmod(a, 16)
                    i = reg - start_address
                    registers[i] = (registers[i] & ~(1 << pos)) | (int(bool(bit)) << pos)
            else:
                for a, w in pending.items():
                    registers[a - start_address] = int(w)
        return None


class _Gateway:
    """The server's datastore, answering 0x0B for unit ids that have no device."""

    def __init__(self, core: Any, units: set[int]) -> None:
        self.core, self.units = core, units

    async def async_getValues(self, device_id: int, func_code: int, address: int,
                              count: int = 1) -> Any:
        if device_id not in self.units:
            return ExcCodes.GATEWAY_NO_RESPONSE
        return await self.core.async_getValues(device_id, func_code, address, count)

    async def async_setValues(self, device_id: int, func_code: int, address: int,
                              values: Any) -> Any:
        if device_id not in self.units:
            return ExcCodes.GATEWAY_NO_RESPONSE
        return await self.core.async_setValues(device_id, func_code, address, values)

    def device_ids(self) -> list[int]:
        return sorted(self.units)


class SimulatorServer:
    """A pymodbus TCP server (Modbus TCP or RTU-over-TCP framing) on its own thread."""

    def __init__(self, devices: Iterable[SimulatedDevice], *, host: str = "127.0.0.1",
                 port: int = 0, framer: str = "socket") -> None:
        self.devices = {d.unit: d for d in devices}
        self._tracker = [0, 0]
        for d in self.devices.values():
            d.tracker = self._tracker  # requests in flight across the whole server
        self.host = host
        self.port = port
        self.framer = FramerType.RTU if framer == "rtu" else FramerType.SOCKET
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: ModbusTcpServer | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def max_in_flight(self) -> int:
        """The most requests this server was answering at the same time."""
        return self._tracker[1]

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(target=self._run, name="modbus-sim", daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("simulator did not start listening within 30 s")
        if self._error is not None:
            raise RuntimeError(f"simulator failed to start: {self._error}")
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
            loop.run_forever()
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
        finally:
            for task in asyncio.all_tasks(loop):
                task.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    async def _serve(self) -> None:
        sims = [d.simdevice() for d in self.devices.values()]
        self._server = ModbusTcpServer(sims, address=(self.host, self.port), framer=self.framer)
        # every other unit id: "gateway target failed to respond", like an RS-485 gateway
        self._server.context = _Gateway(self._server.context, set(self.devices))
        await self._server.serve_forever(background=True)
        sock = self._server.transport.sockets[0]  # type: ignore[attr-defined]
        self.port = sock.getsockname()[1]
        self._ready.set()

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or server is None or loop.is_closed():
            return

        async def _shutdown() -> None:
            await server.shutdown()
            loop.stop()

        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(_shutdown(), loop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _profile_device(unit: int, registers: dict, size: int) -> SimulatedDevice:
    """A device holding a plausible, distinct value in every field of a profile."""
    dev = SimulatedDevice(unit, size=size)
    for i, reg in enumerate(registers.values()):
        if reg.fn in ("coil", "discrete"):
            dev.set_bits(reg.fn, reg.addr, [bool((unit + i) % 2)])
            continue
        if reg.type == "string":
            dev.set_value(reg.fn, reg.addr, f"SIM{unit}", "string", reg.order, reg.length)
            continue
        engineering = unit * 100 + i + 0.25
        raw = (engineering - reg.offset) / (reg.scale or 1.0)
        if not reg.type.startswith("float"):
            unsigned = reg.type.startswith("u") or reg.type == "bool"
            top = (1 << (16 * reg.words - (0 if unsigned else 1))) - 1
            raw = min(max(0, round(raw)) if unsigned else round(raw), top)
        dev.set_value(reg.fn, reg.addr, raw, reg.type, reg.order)
    return dev


def main(argv: Sequence[str] | None = None) -> None:
    """Serve simulated meters shaped like a shipped profile, for trying the tools by hand."""
    import argparse

    from collector.modbus.profiles import SHIPPED_DEVICES, shipped_profiles

    parser = argparse.ArgumentParser(prog="python -m collector.modbus.simulator",
                                     description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5020)
    parser.add_argument("--units", default="1-5", help="unit ids, e.g. 1-5")
    parser.add_argument("--profile", default="eastron-sdm630",
                        help=f"one of the profiles in {SHIPPED_DEVICES}")
    parser.add_argument("--framer", choices=("socket", "rtu"), default="socket",
                        help="rtu = RTU over TCP, like a serial gateway")
    args = parser.parse_args(argv)
    profiles = shipped_profiles()
    if args.profile not in profiles:
        parser.error(f"--profile {args.profile!r}: one of {', '.join(sorted(profiles))}")
    lo, _, hi = args.units.partition("-")
    units = range(int(lo), int(hi or lo) + 1)
    registers = profiles[args.profile].registers
    size = max(r.addr + r.words for r in registers.values()) + 16
    server = SimulatorServer([_profile_device(u, registers, size) for u in units],
                             host=args.host, port=args.port, framer=args.framer).start()
    print(f"{len(units)} simulated {args.profile} meter(s), units {args.units}, on "
          f"{server.address} ({args.framer}); Ctrl-C stops", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
