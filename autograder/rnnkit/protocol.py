"""The wire format between the grading process and the sandbox: plain data only, never pickle.

A message is one JSON document in a frame (4-byte big-endian length, then UTF-8 JSON). Values are
None, bools, numbers (NaN and infinities included), strings, lists, and tagged objects for tuples,
dicts, numpy arrays of real numbers and numpy random Generators (as their state). A torch tensor the student returns crosses as the array of
its values. Anything else crosses as an ``Opaque`` placeholder that only records its type name, so
no student object is ever rebuilt in the grader.

Towards the sandbox only, two more tags: a tensor argument (``{"__tensor__": array}``: a torch
tensor the grader passes arrives as a tensor) and a reference to an object kept in the sandbox
(``{"__handle__": n}``, a student's ``nn.Module`` the grader holds a handle to). The grading side
never accepts either in a reply.

This file is copied into the sandbox next to the worker, so it imports only the standard library
and numpy.
"""

import base64
import json
import math
import struct
import sys

import numpy as np

# Bounds on one message, so that decoding a hostile reply in the grading process stays cheap: the
# grader runs under Gradescope's 768 MB with torch loaded. JSON costs up to ~50 bytes of Python
# objects per value, so values are counted (by their separators) before anything is parsed.
MAX_FRAME_BYTES = 16 * 1024 * 1024
MAX_VALUES = 250_000
MAX_DEPTH = 32
MAX_ARRAY_DIMS = 32
MAX_WARNINGS = 20  # warnings reported per call: enough to judge, bounded for a warning in a loop
_HEADER = struct.Struct(">I")
_ARRAY_KINDS = "biuf"  # bool, signed and unsigned integers, floats


class ProtocolError(Exception):
    """A frame or value that does not follow the protocol."""


class Opaque:
    """Stands for a value that is not plain data (a torch tensor, a function, a generator...)."""

    def __init__(self, type_name):
        self.rnnkit_type_name = type_name

    def __repr__(self):
        return f"<{self.rnnkit_type_name} object>"


def _qualified_type_name(value):
    cls = type(value)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", None) else f"{module}.{cls.__qualname__}"


def to_plain(value, depth=0, tensors=False):
    """Turn ``value`` into something ``json.dumps`` accepts, tagging what JSON cannot express.
    ``tensors``: torch tensors stay tensors on the other side (the grader's requests); otherwise
    they cross as arrays (the sandbox's replies)."""
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, np.generic):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in _ARRAY_KINDS:
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in _ARRAY_KINDS:
        array = np.ascontiguousarray(value)
        return {
            "__ndarray__": array.dtype.str,
            "shape": list(array.shape),
            "data": base64.b64encode(array.tobytes()).decode("ascii"),
        }
    if isinstance(value, tuple):
        return {"__tuple__": [to_plain(item, depth + 1, tensors) for item in value]}
    if isinstance(value, list):
        return [to_plain(item, depth + 1, tensors) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"__dict__": {key: to_plain(item, depth + 1, tensors) for key, item in value.items()}}
    if isinstance(value, np.random.Generator):  # crosses as its state: the same draws on both sides
        return {"__generator__": to_plain(value.bit_generator.state, depth + 1)}
    handle = value.rnnkit_handle if hasattr(type(value), "rnnkit_handle") else None
    if isinstance(handle, int):  # the grader passing back an object that lives in the sandbox
        return {"__handle__": handle}
    if _is_torch_tensor(value):
        array = to_plain(value.detach().cpu().numpy(), depth + 1)
        return {"__tensor__": array} if tensors else array
    return {"__opaque__": _qualified_type_name(value)}


def _is_torch_tensor(value):
    torch = sys.modules.get("torch")  # never imported here: only where the student's code did
    return torch is not None and isinstance(value, torch.Tensor)


def from_plain(plain, depth=0, objects=None):
    """Inverse of ``to_plain``; refuses anything it does not know. ``objects`` (the sandbox side
    only) maps handle numbers to the objects kept there, and allows tensor arguments."""
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if plain is None or isinstance(plain, (bool, int, float, str)):
        return plain
    if isinstance(plain, list):
        return [from_plain(item, depth + 1, objects) for item in plain]
    if not isinstance(plain, dict) or len(plain) == 0:
        raise ProtocolError("malformed value")
    if "__ndarray__" in plain:
        return _array_from_plain(plain)
    if set(plain) == {"__tuple__"} and isinstance(plain["__tuple__"], list):
        return tuple(from_plain(item, depth + 1, objects) for item in plain["__tuple__"])
    if set(plain) == {"__dict__"} and isinstance(plain["__dict__"], dict):
        return {str(k): from_plain(v, depth + 1, objects) for k, v in plain["__dict__"].items()}
    if set(plain) == {"__opaque__"} and isinstance(plain["__opaque__"], str):
        return Opaque(plain["__opaque__"][:200])
    if set(plain) == {"__generator__"}:
        return _generator_from_plain(from_plain(plain["__generator__"], depth + 1))
    if objects is not None and set(plain) == {"__handle__"}:
        if plain["__handle__"] not in objects:
            raise ProtocolError("unknown handle")
        return objects[plain["__handle__"]]
    if objects is not None and set(plain) == {"__tensor__"}:
        array = from_plain(plain["__tensor__"], depth + 1)
        if not isinstance(array, np.ndarray):
            raise ProtocolError("malformed tensor")
        try:
            import torch  # only a homework that allows torch sends tensors

            return torch.from_numpy(array)
        except ImportError:
            raise ProtocolError("a tensor was sent to a sandbox without torch") from None
    raise ProtocolError("malformed value")


_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
_U32, _U64, _U128 = 1 << 32, 1 << 64, 1 << 128
_MT_WORDS = 624
# Each bit generator's state, exactly as numpy gives it: (key, kind, bound) per field. Kinds: an int
# in [0, bound), an unsigned array of ``bound`` words (its dtype's size given first), or a nested
# dict. numpy does not check these when a state is set (an MT19937 ``pos`` past its key reads
# memory it does not own and crashes Python), so nothing from the sandbox reaches it unchecked.
_COUNTER = ("has_uint32", "int", 2), ("uinteger", "int", _U32)
_GENERATOR_STATES = {
    "PCG64": (("state", "dict", (("state", "int", _U128), ("inc", "int", _U128))), *_COUNTER),
    "PCG64DXSM": (("state", "dict", (("state", "int", _U128), ("inc", "int", _U128))), *_COUNTER),
    "MT19937": (("state", "dict", (("key", "array", (4, _MT_WORDS)), ("pos", "int", _MT_WORDS + 1))),),
    "Philox": (
        ("state", "dict", (("counter", "array", (8, 4)), ("key", "array", (8, 2)))),
        ("buffer", "array", (8, 4)),
        ("buffer_pos", "int", 5),
        *_COUNTER,
    ),
    "SFC64": (("state", "dict", (("state", "array", (8, 4)),)), *_COUNTER),
}


def _checked_state(state, fields, where="state"):
    """A copy of ``state`` that holds exactly ``fields``, each of the right type and range."""
    if not isinstance(state, dict) or set(state) != {key for key, _, _ in fields}:
        raise ProtocolError(f"malformed random generator: {where} has the wrong fields")
    checked = {}
    for key, kind, bound in fields:
        value = state[key]
        if kind == "dict":
            checked[key] = _checked_state(value, bound, f"{where}.{key}")
        elif kind == "int":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < bound:
                raise ProtocolError(f"malformed random generator: {where}.{key} out of range")
            checked[key] = value
        else:
            size, words = bound
            if (
                not isinstance(value, np.ndarray)
                or value.dtype.kind != "u"
                or value.dtype.itemsize != size
                or value.shape != (words,)
            ):
                raise ProtocolError(f"malformed random generator: {where}.{key} is not {words} uint{8 * size}")
            checked[key] = np.array(value, dtype=f"<u{size}")
    return checked


def _generator_from_plain(state):
    """A numpy Generator from its state, refused (ProtocolError) unless the bit generator is one of
    numpy's own and the state has exactly its shape, types and ranges."""
    if not isinstance(state, dict) or state.get("bit_generator") not in _BIT_GENERATORS:
        raise ProtocolError("malformed random generator: unknown bit generator")
    name = state["bit_generator"]
    checked = _checked_state({k: v for k, v in state.items() if k != "bit_generator"}, _GENERATOR_STATES[name])
    if name == "MT19937" and not checked["state"]["key"].any():
        raise ProtocolError("malformed random generator: an all-zero MT19937 key")
    try:
        bit_generator = getattr(np.random, name)()
        bit_generator.state = {"bit_generator": name, **checked}
    except Exception as error:  # noqa: BLE001 - a malformed state is the message's fault
        raise ProtocolError(f"malformed random generator: {type(error).__name__}") from None
    return np.random.Generator(bit_generator)


def _array_from_plain(plain):
    try:
        dtype = np.dtype(plain["__ndarray__"])
        shape = plain["shape"]
        data = base64.b64decode(plain["data"], validate=True)
    except Exception as error:  # noqa: BLE001 - whatever the header holds, it is the reply's fault
        raise ProtocolError(f"malformed array: {type(error).__name__}") from None
    if dtype.kind not in _ARRAY_KINDS or dtype.itemsize > 8 or dtype.fields or dtype.subdtype:
        raise ProtocolError("unsupported array")
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_ARRAY_DIMS
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
    ):
        raise ProtocolError("malformed array shape")
    # Python integers: a product of huge dimensions cannot wrap around to match the data.
    if len(data) != math.prod(shape) * dtype.itemsize:
        raise ProtocolError("array data does not match its shape")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def encode_frame(message):
    """A message (a dict of plain values) as bytes ready to write."""
    payload = json.dumps(message, allow_nan=True, separators=(",", ":")).encode("utf-8")
    if len(payload) > MAX_FRAME_BYTES:
        raise ProtocolError(f"message of {len(payload)} bytes exceeds {MAX_FRAME_BYTES}")
    return _HEADER.pack(len(payload)) + payload


def frame_length(header):
    """Payload length announced by a 4-byte header, checked against the limit."""
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame of {length} bytes exceeds {MAX_FRAME_BYTES}")
    return length


# What a value costs in the grading process once decoded, beyond its bytes on the wire: a float in a
# list is a 24-byte object and an 8-byte pointer for as little as two bytes of JSON.
VALUE_COST = 32


def payload_cost(payload):
    """An upper bound on the memory ``payload`` takes once decoded and kept: its bytes (an array's
    base64 text is larger than the array) plus ``VALUE_COST`` per JSON value."""
    return len(payload) + VALUE_COST * (payload.count(b",") + payload.count(b"[") + payload.count(b"{") + 1)


def decode_payload(payload):
    """One message from its payload bytes; anything that is not a small, plain JSON object raises
    ProtocolError (and only that)."""
    # Every JSON value but the first is preceded by a separator: a cheap upper bound on their number.
    values = payload.count(b",") + payload.count(b"[") + payload.count(b"{")
    if values > MAX_VALUES:
        raise ProtocolError(f"message holds more than {MAX_VALUES} values")
    try:
        message = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ProtocolError(f"unreadable message: {type(error).__name__}") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object")
    return message


def decode_value(plain):
    """``from_plain`` for a value from the other side: whatever it holds, only ProtocolError escapes."""
    try:
        return from_plain(plain)
    except ProtocolError:
        raise
    except Exception as error:  # noqa: BLE001 - a hostile value must never become the kit's error
        raise ProtocolError(f"malformed value ({type(error).__name__})") from None


HEADER_SIZE = _HEADER.size
