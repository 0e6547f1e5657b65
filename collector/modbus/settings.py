"""Modbus configuration: gateways, devices, register fields, profiles, point bindings.

These pydantic models are the `modbus:` section of the site YAML and the files in
`collector/modbus/devices/`. Single-field ranges are enforced by pydantic; everything that
involves several fields or other parts of the config (a device naming a gateway,
a register running past 65535, a bit past the type's width) is checked by the pure
function `check_modbus`, which returns every problem as (field path, bad value,
what is allowed) so `civicwatt check-config` can print them all at once.

Addresses
---------
`address` is always the 0-based *protocol* address, exactly what goes on the wire
(0..65535). Vendor register maps often print 1-based *reference numbers* instead;
give those as `ref` (never both) and the function and address are derived:

=================  ===================  ==================  ===================
ref (5 digits)     ref (6 digits)       function            address
=================  ===================  ==================  ===================
1 .. 9999          "000001".."065536"   coil                ref - 1
10001 .. 19999     100001 .. 165536     discrete            ref - 10001 / 100001
30001 .. 39999     300001 .. 365536     input               ref - 30001 / 300001
40001 .. 49999     400001 .. 465536     holding             ref - 40001 / 400001
=================  ===================  ==================  ===================

A 6-digit coil reference needs its leading zero, so write it as a string. If a
`function` is also given it must agree with the reference's. SunSpec-style maps
that print 0-based addresses such as 40000 are *addresses*, not references: use
`address: 40000`.

Values
------
value = raw * scale + offset, where raw is the register(s) decoded as `type` in
byte/word `order` (ABCD = big-endian; DCBA = little-endian; BADC = big-endian
words with bytes swapped; CDAB = little-endian words, big-endian bytes — the
common "word-swapped float"). With `bit: n` (0 = least significant) the raw value
is `(raw >> n) & (2**bits - 1)` before scale and offset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

Function = Literal["holding", "input", "coil", "discrete"]
DataType = Literal[
    "bool", "int16", "uint16", "int32", "uint32", "int48", "uint48",
    "int64", "uint64", "float32", "float64", "string",
]
Order = Literal["ABCD", "DCBA", "BADC", "CDAB"]

#: 16-bit registers per value of each fixed-width type (`string` uses `length`).
TYPE_WORDS: dict[str, int] = {
    "bool": 1, "int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "float32": 2,
    "int48": 3, "uint48": 3, "int64": 4, "uint64": 4, "float64": 4,
}
INTEGER_TYPES = frozenset(
    {"int16", "uint16", "int32", "uint32", "int48", "uint48", "int64", "uint64"}
)
BIT_FUNCTIONS = frozenset({"coil", "discrete"})
MAX_REGISTERS_PER_READ = 125
MAX_BITS_PER_READ = 2000


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def ref_to_address(ref: int | str) -> tuple[Function, int]:
    """Convert a 1-based Modbus reference number (40001, "400001", ...) to (function, address).

    Raises ValueError naming the accepted ranges.
    """
    text = str(ref).strip()
    if not text.isdigit():
        raise ValueError(f"reference {ref!r} is not a number like 40001 or 400001")
    n = int(text)
    if len(text) == 6:
        prefix, offset = int(text[0]), int(text[1:])
        table: dict[int, Function] = {0: "coil", 1: "discrete", 3: "input", 4: "holding"}
        if prefix in table and 1 <= offset <= 65536:
            return table[prefix], offset - 1
    elif len(text) <= 5:
        if 1 <= n <= 9999:
            return "coil", n - 1
        for base, fn in ((10001, "discrete"), (30001, "input"), (40001, "holding")):
            if base <= n <= base + 9998:
                return fn, n - base  # type: ignore[return-value]
    raise ValueError(
        f"reference {ref!r} is outside 1-9999 (coil), 10001-19999 (discrete), 30001-39999 "
        "(input), 40001-49999 (holding) or the 6-digit forms 0/1/3/4 + 00001-65536"
    )


class RegisterField(_Model):
    """Where one value lives on a device and how to decode it."""

    function: Function | None = Field(
        default=None, description="holding (default), input, coil or discrete"
    )
    address: int | None = Field(default=None, ge=0, le=65535, description="0-based address")
    ref: int | str | None = Field(default=None, description="1-based reference, e.g. 40001")
    type: DataType = "uint16"
    order: Order = "ABCD"
    length: int | None = Field(default=None, ge=1, le=125, description="string: registers")
    scale: float = 1.0
    offset: float = 0.0
    bit: int | None = Field(default=None, ge=0, le=63, description="bit 0 = LSB")
    bits: int = Field(default=1, ge=1, le=64, description="bit-field width")
    unit: str | None = Field(default=None, description="unit after scaling, e.g. kWh")
    description: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _resolve_ref(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("ref") is None:
            return data
        if data.get("address") is not None:
            raise ValueError("give either `address` (0-based) or `ref` (e.g. 40001), not both")
        fn, address = ref_to_address(data["ref"])
        given = data.get("function")
        if given is not None and given != fn:
            raise ValueError(f"ref {data['ref']} is a {fn} reference but function is {given!r}")
        return {**data, "function": fn, "address": address}

    @model_validator(mode="after")
    def _defaults(self) -> RegisterField:
        if self.address is None:
            raise ValueError("a register needs `address` (0-based) or `ref` (e.g. 40001)")
        if self.function is None:
            object.__setattr__(self, "function", "holding")
        if self.function in BIT_FUNCTIONS and "type" not in self.model_fields_set:
            object.__setattr__(self, "type", "bool")
        return self

    @property
    def fn(self) -> Function:
        """The function (never None after validation)."""
        return self.function or "holding"

    @property
    def addr(self) -> int:
        """The 0-based address (never None after validation)."""
        return self.address if self.address is not None else 0

    @property
    def words(self) -> int:
        """Registers (or bits, for coil/discrete) this value occupies."""
        if self.fn in BIT_FUNCTIONS:
            return 1
        if self.type == "string":
            return self.length or 0
        return TYPE_WORDS[self.type]


class ProfileDefaults(_Model):
    """Device settings this meter model needs; a device's own settings win."""

    max_gap: int | None = Field(default=None, ge=0, le=124)
    one_register_per_request: bool | None = None
    interval: float | None = Field(default=None, gt=0)


class DeviceProfile(_Model):
    """A named register map shared by every device of one model (modbus/devices/*.yaml)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    manufacturer: str = ""
    model: str = ""
    source: str = Field(min_length=1, description="the published register map it came from")
    defaults: ProfileDefaults = Field(default_factory=lambda: ProfileDefaults())
    registers: dict[str, RegisterField] = Field(min_length=1)


class _Gateway(_Model):
    id: str = Field(min_length=1)
    one_in_flight: bool | None = Field(
        default=None,
        description="at most one request at a time on this link (default: true for serial "
        "lines and RTU-over-TCP gateways, false for Modbus TCP)",
    )
    timeout: float = Field(default=1.0, gt=0, le=60, description="seconds per request")

    @property
    def serialized(self) -> bool:
        if self.one_in_flight is not None:
            return self.one_in_flight
        return self.transport != "tcp"  # type: ignore[attr-defined]


class TcpGateway(_Gateway):
    transport: Literal["tcp"] = "tcp"
    host: str = Field(min_length=1)
    port: int = Field(default=502, ge=1, le=65535)


class RtuOverTcpGateway(_Gateway):
    transport: Literal["rtu_over_tcp"]
    host: str = Field(min_length=1)
    port: int = Field(default=502, ge=1, le=65535)


class RtuGateway(_Gateway):
    transport: Literal["rtu"]
    serial_port: str = Field(min_length=1, description="e.g. /dev/ttyUSB0")
    baudrate: int = Field(default=9600, gt=0)
    parity: Literal["N", "E", "O"] = "N"
    bytesize: Literal[7, 8] = 8
    stopbits: Literal[1, 2] = 1


def _transport(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("transport", "tcp"))
    return str(getattr(value, "transport", "tcp"))


Gateway = Annotated[
    Annotated[TcpGateway, Tag("tcp")]
    | Annotated[RtuOverTcpGateway, Tag("rtu_over_tcp")]
    | Annotated[RtuGateway, Tag("rtu")],
    Discriminator(
        _transport,
        custom_error_type="transport",
        custom_error_message="transport must be tcp (default), rtu_over_tcp or rtu",
    ),
]


class Device(_Model):
    """One Modbus slave: a unit id behind a gateway, with a profile or inline registers."""

    id: str = Field(min_length=1)
    gateway: str = Field(min_length=1)
    unit: int = Field(ge=1, le=247)
    profile: str | None = None
    registers: dict[str, RegisterField] = Field(default_factory=dict)
    interval: float = Field(default=10.0, gt=0, le=86400, description="seconds between polls")
    timeout: float | None = Field(default=None, gt=0, le=60, description="overrides gateway")
    retries: int = Field(default=2, ge=0, le=10, description="retries on 'device busy'/timeout")
    max_gap: int = Field(default=10, ge=0, le=124, description="unused registers read through")
    one_register_per_request: bool = False


class ModbusBinding(_Model):
    """A site point's Modbus source: a device and a profile field or an inline register."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    device: str = Field(min_length=1)
    field: str | None = None
    inline: RegisterField | None = Field(default=None, alias="register")

    @model_validator(mode="after")
    def _one_of(self) -> ModbusBinding:
        if (self.field is None) == (self.inline is None):
            raise ValueError("give exactly one of `field` (a profile field name) or `register`")
        return self


class ModbusSettings(_Model):
    """The `modbus:` section of the site config."""

    gateways: list[Gateway] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    profiles: list[DeviceProfile] = Field(
        default_factory=list, description="site-local profiles, in addition to the shipped ones"
    )


class Problem(NamedTuple):
    """One config problem: where, what was found, what is allowed."""

    path: str
    value: object
    allowed: str

    def __str__(self) -> str:
        return f"{self.path}: {self.value!r} — {self.allowed}"


_NOT_STRING = "a point reads a number; string registers are for `civicwatt modbus read`"


def check_register(path: str, reg: RegisterField) -> list[Problem]:
    """Range checks on one register definition."""
    out: list[Problem] = []
    if reg.fn in BIT_FUNCTIONS and reg.type != "bool":
        out.append(Problem(f"{path}.type", reg.type, f"{reg.fn} values are type bool"))
    if reg.type == "string":
        if reg.length is None:
            out.append(Problem(f"{path}.length", None, "a string needs length (registers)"))
    elif reg.length is not None:
        out.append(Problem(f"{path}.length", reg.length, "length is only for type string"))
    if reg.bit is not None:
        width = 16 * TYPE_WORDS.get(reg.type, 0)
        if reg.type not in INTEGER_TYPES and reg.type != "bool":
            out.append(Problem(f"{path}.bit", reg.bit, "bit extraction needs an integer type"))
        elif reg.fn in BIT_FUNCTIONS:
            out.append(Problem(f"{path}.bit", reg.bit, "coils and discretes are single bits"))
        elif reg.bit + reg.bits > width:
            out.append(Problem(
                f"{path}.bit", reg.bit, f"bit + bits <= {width} for {reg.type} (bit 0 = LSB)"
            ))
    if reg.words and reg.addr + reg.words > 65536:
        out.append(Problem(
            f"{path}.address", reg.addr,
            f"address + {reg.words} register(s) of {reg.type} must be <= 65536",
        ))
    return out


def check_modbus(
    settings: ModbusSettings,
    profiles: Mapping[str, DeviceProfile],
    bindings: Mapping[str, ModbusBinding] | Iterable[tuple[str, ModbusBinding]] = (),
    prefix: str = "modbus",
) -> list[Problem]:
    """Every cross-reference and range problem in the Modbus config (pure).

    `profiles` is every profile available by name (shipped + site-local);
    `bindings` maps a path such as "points[hq.m01].source" to its binding.
    """
    out: list[Problem] = []
    all_profiles = dict(profiles)
    for i, prof in enumerate(settings.profiles):
        all_profiles[prof.name] = prof
        for name, reg in prof.registers.items():
            out += check_register(f"{prefix}.profiles[{i}].registers.{name}", reg)

    gateways: dict[str, object] = {}
    for i, gw in enumerate(settings.gateways):
        if gw.id in gateways:
            out.append(Problem(f"{prefix}.gateways[{i}].id", gw.id, "gateway ids are unique"))
        gateways[gw.id] = gw

    devices: dict[str, Device] = {}
    seen_units: dict[tuple[str, int], str] = {}
    for i, dev in enumerate(settings.devices):
        p = f"{prefix}.devices[{i}]"
        if dev.id in devices:
            out.append(Problem(f"{p}.id", dev.id, "device ids are unique"))
        devices[dev.id] = dev
        if dev.gateway not in gateways:
            out.append(Problem(
                f"{p}.gateway", dev.gateway, f"one of the gateway ids {sorted(gateways)}"
            ))
        if not 1 <= dev.unit <= 247:
            out.append(Problem(f"{p}.unit", dev.unit, "a unit id 1-247"))
        key = (dev.gateway, dev.unit)
        if key in seen_units:
            out.append(Problem(
                f"{p}.unit", dev.unit, f"unique per gateway (device {seen_units[key]} has it)"
            ))
        seen_units[key] = dev.id
        if dev.profile is not None and dev.profile not in all_profiles:
            out.append(Problem(
                f"{p}.profile", dev.profile, f"one of the profiles {sorted(all_profiles)}"
            ))
        for name, reg in dev.registers.items():
            out += check_register(f"{p}.registers.{name}", reg)

    items = bindings.items() if isinstance(bindings, Mapping) else bindings
    for path, b in items:
        dev = devices.get(b.device)
        if dev is None:
            out.append(Problem(f"{path}.device", b.device, f"one of the devices {sorted(devices)}"))
            continue
        if b.inline is not None:
            out += check_register(f"{path}.register", b.inline)
            if b.inline.type == "string":
                out.append(Problem(f"{path}.register.type", "string", _NOT_STRING))
            continue
        fields = device_fields(dev, all_profiles)
        if b.field in fields and fields[b.field].type == "string":
            out.append(Problem(f"{path}.field", b.field, _NOT_STRING))
        if b.field not in fields:
            shown = sorted(fields)
            more = f" (+{len(shown) - 20} more)" if len(shown) > 20 else ""
            out.append(Problem(
                f"{path}.field", b.field,
                f"a register of device {dev.id}: {', '.join(shown[:20])}{more}"
                if shown else f"device {dev.id} has no profile or registers",
            ))
    return out


def device_fields(dev: Device, profiles: Mapping[str, DeviceProfile]) -> dict[str, RegisterField]:
    """The device's register map: its profile's fields overlaid by its inline registers."""
    fields: dict[str, RegisterField] = {}
    if dev.profile is not None and dev.profile in profiles:
        fields.update(profiles[dev.profile].registers)
    fields.update(dev.registers)
    return fields
