"""The JSON parser: strict JSON, bounded nesting, and no text that cannot be stored."""

import io

import pytest
from rest_framework.exceptions import ParseError, ValidationError

from vividly.api.parsers import JSONParser


def parse(text: str):
    return JSONParser().parse(io.BytesIO(text.encode()), "application/json", {})


def test_clean_text_and_escaped_pairs_pass():
    assert parse(r'{"a": "\ud83c\udfac", "b": "\\u0000 is six characters"}') == {
        "a": "🎬",
        "b": "\\u0000 is six characters",
    }


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (r'{"a": "x\u0000"}', "a"),
        (r'{"a": ["x", {"b": "\ud800"}]}', "a.1.b"),
        (r'{"\udfff": 1}', "\ufffd"),
        (r'{"a": {"b\u0000c": 1}}', "a.bc"),
        (r'["ok", "\u0000"]', "1"),
        (r'"\u0000"', "non_field_errors"),
    ],
)
def test_nul_and_lone_surrogates_are_refused_where_they_are(text, where):
    with pytest.raises(ValidationError) as refused:
        parse(text)
    assert list(refused.value.detail) == [where]


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}', "{", "[" * 100_000, '{"a": "\x01"}'])
def test_malformed_json_is_a_parse_error(text):
    with pytest.raises(ParseError):
        parse(text)


def test_a_bad_key_is_named_in_an_answer_that_renders(service_client):
    response = service_client.generic(
        "POST", "/internal/v1/cache/check", r'{"topic_id": "a", "\ud800": 1}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"\ufffd": ["Must be valid Unicode text without NUL characters."]}
