"""The wire format: what crosses between grader and sandbox, and what is refused."""

import base64
import json
import math

import numpy as np
import pytest

from rnnkit import protocol
from rnnkit.protocol import Opaque, ProtocolError, from_plain, to_plain


def roundtrip(value):
    frame = protocol.encode_frame({"value": to_plain(value)})
    length = protocol.frame_length(frame[: protocol.HEADER_SIZE])
    message = protocol.decode_payload(frame[protocol.HEADER_SIZE :][:length])
    return from_plain(message["value"])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "uint16", "bool"])
def test_arrays_keep_dtype_shape_and_values(dtype):
    array = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    back = roundtrip(array)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_non_contiguous_and_empty_arrays():
    array = np.arange(12.0).reshape(3, 4).T
    np.testing.assert_array_equal(roundtrip(array), array)
    assert roundtrip(np.zeros((0, 5))).shape == (0, 5)


def test_containers_and_scalars_keep_their_kind():
    value = {"a": (1, 2.5, [True, None, "x"]), "b": np.float32(1.5), "c": np.int64(7)}
    back = roundtrip(value)
    assert back == {"a": (1, 2.5, [True, None, "x"]), "b": 1.5, "c": 7}
    assert isinstance(back["a"], tuple) and isinstance(back["a"][2], list)
    assert type(back["c"]) is int


def test_nan_and_infinity_cross():
    back = roundtrip([math.nan, math.inf, np.array([np.nan, -np.inf])])
    assert math.isnan(back[0]) and back[1] == math.inf
    assert np.isnan(back[2][0]) and back[2][1] == -np.inf


def test_anything_else_becomes_an_opaque_type_name():
    class Tensor:
        pass

    back = roundtrip([Tensor(), len, np.array([1 + 2j])])
    assert all(isinstance(item, Opaque) for item in back)
    assert back[0].rnnkit_type_name.endswith("Tensor")
    assert back[1].rnnkit_type_name == "builtin_function_or_method"


@pytest.mark.parametrize(
    "plain",
    [
        {"__pickle__": "gASVAAAA"},
        {"__ndarray__": "|O", "shape": [1], "data": base64.b64encode(b"12345678").decode()},
        {"__ndarray__": "<f8", "shape": [2], "data": base64.b64encode(b"1234").decode()},
        {"__ndarray__": "<f8", "shape": [-1], "data": ""},
        {"__ndarray__": "<c16", "shape": [1], "data": base64.b64encode(b"0" * 16).decode()},
        {"__tuple__": [1], "extra": 2},
        {},
    ],
    ids=["unknown-tag", "object-dtype", "short-data", "negative-shape", "complex", "extra-key", "empty"],
)
def test_malformed_values_are_refused(plain):
    with pytest.raises(ProtocolError):
        from_plain(plain)


def test_frames_are_bounded_and_must_be_json_objects():
    with pytest.raises(ProtocolError):
        protocol.frame_length((protocol.MAX_FRAME_BYTES + 1).to_bytes(4, "big"))
    with pytest.raises(ProtocolError):
        protocol.decode_payload(b"\xff\xfe")
    with pytest.raises(ProtocolError):
        protocol.decode_payload(json.dumps([1, 2]).encode())
    with pytest.raises(ProtocolError):
        protocol.decode_payload(b"[" * 100000 + b"]" * 100000)


def test_deep_nesting_is_refused_both_ways():
    deep = []
    for _ in range(protocol.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ProtocolError):
        to_plain(deep)
    with pytest.raises(ProtocolError):
        from_plain(json.loads(json.dumps(deep)))


# --- replies from a hostile sandbox: bounded, and only ever a ProtocolError ----------------------

def _array(dtype, shape, data=b""):
    return {"__ndarray__": dtype, "shape": shape, "data": base64.b64encode(data).decode()}


@pytest.mark.parametrize(
    "plain",
    [
        _array("<f8", [2**32, 2**32]),  # the product wraps to 0 in int64 and would match empty data
        _array("<f8", [2**63, 2]),
        _array("<f8", [1] * 40),  # more dimensions than numpy allows
        _array("<f8", [True, 1], b"\0" * 8),
        _array("<f8", "8", b"\0" * 8),
        _array("<f8", [1.5], b"\0" * 8),
        _array({"a": 1}, [1], b"\0" * 8),
        _array("V8", [1], b"\0" * 8),
        _array("(2,)f8", [1], b"\0" * 16),
        {"__ndarray__": "<f8", "shape": [1], "data": "not base64!"},
        {"__ndarray__": "<f8", "shape": [1], "data": 12},
    ],
    ids=["wrapping-shape", "huge-dim", "too-many-dims", "bool-dim", "string-shape", "float-dim",
         "dict-dtype", "void-dtype", "subarray-dtype", "bad-base64", "number-data"],
)
def test_crafted_array_headers_raise_only_protocol_errors(plain):
    with pytest.raises(ProtocolError):
        protocol.decode_value(plain)


def test_a_reply_with_too_many_values_is_refused_before_parsing():
    payload = b'{"value":[' + b",".join([b"0"] * (protocol.MAX_VALUES + 1)) + b"]}"
    assert len(payload) < protocol.MAX_FRAME_BYTES
    with pytest.raises(ProtocolError, match="more than"):
        protocol.decode_payload(payload)


def test_random_corruptions_of_a_valid_reply_raise_only_protocol_errors():
    """A seeded fuzz: flip, cut and splice bytes of a real reply; decoding either works or raises
    ProtocolError, never anything else (which the grader would report as its own failure)."""
    rng = np.random.default_rng(0)
    value = {"a": (np.arange(6.0).reshape(2, 3), [1, None, "x"]), "b": np.int8([1, -2])}
    payload = protocol.encode_frame({"op": "result", "value": to_plain(value)})[protocol.HEADER_SIZE:]
    outcomes = {"decoded": 0, "refused": 0}
    for _ in range(3000):
        corrupted = bytearray(payload)
        for _ in range(int(rng.integers(1, 4))):
            position = int(rng.integers(len(corrupted)))
            kind = rng.integers(3)
            if kind == 0:
                corrupted[position] = int(rng.integers(256))
            elif kind == 1:
                del corrupted[position : position + int(rng.integers(1, 20))]
            else:
                corrupted[position:position] = bytes(rng.choice(list(b'[]{}",:0-e.9"__ndarray__shape'), 5))
        try:
            protocol.decode_value(protocol.decode_payload(bytes(corrupted)).get("value"))
            outcomes["decoded"] += 1
        except ProtocolError:
            outcomes["refused"] += 1
    assert min(outcomes.values()) > 10, outcomes  # both paths were exercised


# --- numpy random Generators (issue 18) -------------------------------------------------------


@pytest.mark.parametrize("name", protocol._BIT_GENERATORS)
def test_generators_of_every_allowed_bit_generator_cross_with_their_state(name):
    generator = np.random.Generator(getattr(np.random, name)(7))
    generator.random(5)
    back = roundtrip(generator)
    assert type(back.bit_generator).__name__ == name
    np.testing.assert_array_equal(back.random(8), generator.random(8))


def _state(name, **changes):
    """The plain (wire) state of a fresh ``name`` generator, with ``changes`` applied at their
    dotted paths (a value of ... deletes the field)."""
    plain = json.loads(json.dumps(to_plain(np.random.Generator(getattr(np.random, name)(3)))))
    for path, value in changes.items():
        node = plain["__generator__"]["__dict__"]
        *parents, last = path.split("__")
        for part in parents:
            node = node[part]["__dict__"]
        if value is ...:
            del node[last]
        else:
            node[last] = value
    return plain


def _words(dtype, count, fill=1):
    return to_plain(np.full(count, fill, dtype=dtype))


CRAFTED_GENERATORS = [
    # The one that crashed Python: MT19937 reads key[pos] without a bound check.
    _state("MT19937", state__pos=10**9),
    _state("MT19937", state__pos=-5),
    _state("MT19937", state__pos=625),
    _state("MT19937", state__key=_words("<u4", 10)),  # a short key: numpy reads past its end
    _state("MT19937", state__key=_words("<u8", 624)),
    _state("MT19937", state__key=_words("<u4", 624, fill=0)),
    _state("MT19937", state__key=[1] * 624),  # a list, not an array
    _state("Philox", buffer_pos=-10**12),
    _state("Philox", buffer_pos=5),
    _state("Philox", buffer=_words("<u8", 3)),
    _state("Philox", state__counter=_words("<u4", 4)),
    _state("SFC64", state__state=_words("<i8", 4)),
    _state("PCG64", state__state=-1),
    _state("PCG64", state__inc=1 << 128),
    _state("PCG64", state__inc=1.5),
    _state("PCG64", has_uint32=7),
    _state("PCG64", has_uint32=True),
    _state("PCG64", uinteger=1 << 40),
    _state("PCG64DXSM", uinteger=...),
    _state("PCG64", extra=1),
    _state("PCG64", bit_generator="MT19937"),  # a state of another shape
    _state("PCG64", bit_generator="RandomState"),
    _state("PCG64", bit_generator="_MT19937"),
    _state("PCG64", bit_generator=None),
    {"__generator__": [1, 2]},
    {"__generator__": {"__dict__": {}}},
    {"__generator__": {"__opaque__": "x"}},
]


@pytest.mark.parametrize("plain", CRAFTED_GENERATORS)
def test_a_crafted_generator_state_is_refused_before_numpy_sees_it(plain):
    """Rebuilt in the grading process, a crafted state must never reach numpy: each one is a
    ProtocolError (the submission's failure), and drawing from a valid one never crashes."""
    with pytest.raises(ProtocolError):
        protocol.decode_value(plain)


def test_a_crafted_generator_no_longer_crashes_python(tmp_path):
    """What the audit did, in a child process: decode a crafted MT19937 and draw from it."""
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "from rnnkit import protocol\n"
        "plain = json.loads(sys.stdin.read())\n"
        "try:\n"
        "    protocol.decode_value(plain).random(3)\n"
        "except protocol.ProtocolError as error:\n"
        "    print('refused:', error)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], input=json.dumps(CRAFTED_GENERATORS[0]),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("refused: malformed random generator")
