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
