"""Storable text: no NUL, no lone surrogates, and JSON cleaned without recursion."""

from vividly.text import is_storable, storable, storable_json


def test_storable_text():
    assert is_storable("plain, émoji 🎬, RTL \u202e, controls \x1b\x07")
    assert not is_storable("a\x00b") and not is_storable("\ud800") and not is_storable("x\udfff")
    assert storable("a\x00b") == "ab"
    assert storable("a\ud800b").startswith("a\ufffd") and storable("a\ud800b").endswith("b")
    assert is_storable(storable("\x00\ud800\udfff"))
    assert storable("é" * 300, 255) == "é" * 255


def test_storable_json_keeps_shape_order_and_values():
    value = {"a\x00": ["x\ud800", 1, None, True, {"k": "v\x00"}], "n": 2.5, "": [[], {}]}
    assert storable_json(value) == {"a": ["x\ufffd", 1, None, True, {"k": "v"}], "n": 2.5, "": [[], {}]}
    assert storable_json([3, "\x00", [1, 2]]) == [3, "", [1, 2]]
    assert storable_json("\x00") == "" and storable_json(7) == 7


def test_storable_json_walks_deep_values_without_recursing():
    deep: list = ["\x00"]
    for _ in range(5000):
        deep = [deep]
    cleaned = storable_json(deep)
    for _ in range(5000):
        cleaned = cleaned[0]
    assert cleaned == [""]
