"""The one module that talks to pymodbus: connections ("links") and collector errors.

A `Link` is one pymodbus async client: a TCP connection, an RTU-over-TCP gateway
connection or a serial line. It allows one request at a time (its own lock, so the
per-request timeout can be set safely), connects lazily, and turns every pymodbus
outcome into either a list of values or one of the `ModbusError`s below, so the
poller never sees a pymodbus type:

- `ModbusTimeout`: no answer in time, the connection failed or dropped, or a gateway
  said its target did not answer (exceptions 0x0A/0x0B). The device counts as offline.
- `ModbusBusy`: the device answered "busy" (0x06) or "acknowledge, retry later" (0x05);
  worth retrying after a short wait.
- `ModbusIllegalAddress`: exception 0x02; a configuration problem, never retried.
- `ModbusDeviceError`: any other exception code (illegal function, device failure ...).

pymodbus's own retry and auto-reconnect are switched off (retries=0,
reconnect_delay=0): the poller owns retries and back-off, and a link that has
had several timeouts in a row with no success in between is closed and reopened
on its next request (a TCP stream that lost step recovers; see DESIGN pain points).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.framer import FramerType

from collector.modbus.settings import Function, RtuGateway, RtuOverTcpGateway, TcpGateway

_LOG = logging.getLogger(__name__)
# pymodbus logs every timeout at ERROR with a frame dump; our ModbusError carries the same
# facts with the device named, so keep its logger quiet unless the operator configured it.
_PYMODBUS_LOG = logging.getLogger("pymodbus.logging")
if _PYMODBUS_LOG.level == logging.NOTSET:
    _PYMODBUS_LOG.setLevel(logging.CRITICAL)

#: consecutive timeouts on one link before it is closed and reopened
RECONNECT_AFTER_TIMEOUTS = 3

_EXCEPTION_NAMES = {
    1: "illegal function", 2: "illegal data address", 3: "illegal data value",
    4: "device failure", 5: "acknowledge (busy)", 6: "device busy",
    7: "negative acknowledge", 8: "memory parity error",
    10: "gateway path unavailable", 11: "gateway target failed to respond",
}


class ModbusError(Exception):
    """A read that produced no values, with where it happened."""

    def __init__(self, message: str, *, target: str = "", unit: int = 0,
                 function: str = "", address: int = -1, count: int = 0,
                 code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.target = target
        self.unit = unit
        self.function = function
        self.address = address
        self.count = count
        self.code = code

    @property
    def where(self) -> str:
        span = (f"{self.function} {self.address}" if self.count <= 1
                else f"{self.function} {self.address}-{self.address + self.count - 1}")
        return f"{self.target} unit {self.unit} {span}".strip()

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ModbusTimeout(ModbusError):
    """No (usable) answer: timeout, connection refused/lost, gateway target silent."""


class ModbusBusy(ModbusError):
    """The device is busy; retry later."""


class ModbusIllegalAddress(ModbusError):
    """The device has no such register (exception 0x02); not retried."""


class ModbusDeviceError(ModbusError):
    """Any other Modbus exception response."""


class Link:
    """One pymodbus client with one request in flight at a time."""

    def __init__(self, transport: str, *, host: str = "", port: int = 502,
                 serial_port: str = "", baudrate: int = 9600, parity: str = "N",
                 bytesize: int = 8, stopbits: int = 1, timeout: float = 1.0) -> None:
        self.transport = transport
        self.timeout = timeout
        self._params = {"host": host, "port": port, "serial_port": serial_port,
                        "baudrate": baudrate, "parity": parity, "bytesize": bytesize,
                        "stopbits": stopbits}
        self.target = serial_port if transport == "rtu" else f"{host}:{port}"
        self._client: AsyncModbusTcpClient | AsyncModbusSerialClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._timeouts_in_row = 0
        self.requests = 0

    def _ensure(self) -> AsyncModbusTcpClient | AsyncModbusSerialClient:
        """The pymodbus client, made in (and bound to) the running event loop."""
        loop = asyncio.get_running_loop()
        if self._client is not None and self._loop is loop:
            return self._client
        if self._client is not None:
            self.close()
        p = self._params
        client: AsyncModbusTcpClient | AsyncModbusSerialClient
        if self.transport == "rtu":
            client = AsyncModbusSerialClient(
                str(p["serial_port"]), framer=FramerType.RTU, baudrate=int(p["baudrate"]),
                parity=str(p["parity"]), bytesize=int(p["bytesize"]),
                stopbits=int(p["stopbits"]), timeout=self.timeout, retries=0, reconnect_delay=0,
            )
        else:
            framer = FramerType.RTU if self.transport == "rtu_over_tcp" else FramerType.SOCKET
            client = AsyncModbusTcpClient(str(p["host"]), port=int(p["port"]), framer=framer,
                                          timeout=self.timeout, retries=0, reconnect_delay=0)
        # we count and reconnect ourselves; never let pymodbus drop a shared gateway link
        client.set_max_no_responses(1 << 30)
        self._client, self._loop, self._lock = client, loop, asyncio.Lock()
        return client

    @classmethod
    def for_gateway(cls, gw: TcpGateway | RtuOverTcpGateway | RtuGateway,
                    timeout: float | None = None) -> Link:
        t = timeout if timeout is not None else gw.timeout
        if isinstance(gw, RtuGateway):
            return cls("rtu", serial_port=gw.serial_port, baudrate=gw.baudrate,
                       parity=gw.parity, bytesize=gw.bytesize, stopbits=gw.stopbits, timeout=t)
        return cls(gw.transport, host=gw.host, port=gw.port, timeout=t)

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    async def read(self, unit: int, function: Function, address: int, count: int,
                   timeout: float | None = None) -> list[int] | list[bool]:
        """Read `count` registers (or bits) from `unit`; raise a ModbusError on failure."""
        where = {"target": self.target, "unit": unit, "function": function,
                 "address": address, "count": count}
        t = timeout if timeout is not None else self.timeout
        client = self._ensure()
        async with self._lock:
            self.requests += 1
            client.comm_params.timeout_connect = t  # applies to connect and response
            try:
                if not client.connected and not await client.connect():
                    raise ModbusTimeout(f"cannot connect to {self.target}", **where)
                response = await asyncio.wait_for(
                    self._call(client, unit, function, address, count), t + 1.0)
            except ModbusError:
                self._timed_out()
                raise
            except (TimeoutError, ModbusIOException, ConnectionException, OSError) as exc:
                self._timed_out()
                raise ModbusTimeout(f"no answer within {t:g} s ({_short(exc)})", **where) from None
            except ModbusException as exc:
                raise ModbusDeviceError(_short(exc), **where) from None
            self._timeouts_in_row = 0
        if response.isError():
            code = int(getattr(response, "exception_code", 0))
            text = f"exception {code:#04x} {_EXCEPTION_NAMES.get(code, 'unknown')}"
            if code == 2:
                raise ModbusIllegalAddress(text, code=code, **where)
            if code in (5, 6):
                raise ModbusBusy(text, code=code, **where)
            if code in (10, 11):
                raise ModbusTimeout(text, code=code, **where)
            raise ModbusDeviceError(text, code=code, **where)
        if function in ("coil", "discrete"):
            return list(response.bits[:count])
        regs = list(response.registers)
        if len(regs) != count:
            raise ModbusDeviceError(f"asked for {count} registers, got {len(regs)}", **where)
        return regs

    @staticmethod
    async def _call(c: AsyncModbusTcpClient | AsyncModbusSerialClient, unit: int,
                    function: Function, address: int, count: int):
        if function == "holding":
            return await c.read_holding_registers(address, count=count, device_id=unit)
        if function == "input":
            return await c.read_input_registers(address, count=count, device_id=unit)
        if function == "coil":
            return await c.read_coils(address, count=count, device_id=unit)
        return await c.read_discrete_inputs(address, count=count, device_id=unit)

    def _timed_out(self) -> None:
        self._timeouts_in_row += 1
        if self._timeouts_in_row >= RECONNECT_AFTER_TIMEOUTS and self.connected:
            _LOG.info("modbus %s: %d timeouts in a row, reconnecting", self.target,
                      self._timeouts_in_row)
            self._client.close()  # type: ignore[union-attr]
            self._timeouts_in_row = 0

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.replace("Modbus Error: ", "").replace("[Input/Output] ", "")[:160]
