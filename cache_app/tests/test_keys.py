"""The cache key is the seed formula, byte for byte, and refuses ambiguous triples."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cache_app.keys import FIELD_MAX_LENGTH, cache_key_for, is_cache_key
from vividly.errors import InvalidInput

# Computed outside Python: echo -n "physics-101|basketball|visual" | sha256sum
KNOWN = [
    (("physics-101", "basketball", "visual"), "a45d4531f2059561489a6a82f570b8b25172bdb7d6463a7080201c1a6db00058"),
    (("biología", "fútbol", "visual"), "f580e63b0abf915ee987d3d90758eee02b8b58037a03cf102071aede6ee356aa"),
    (("42", "music", "auditory"), "ebc659407b81e49686df44826242d9030187608788553dc6834974d60d387bfc"),
]


@pytest.mark.parametrize(("fields", "expected"), KNOWN)
def test_known_vectors(fields, expected):
    topic_id, interest, style = fields
    assert cache_key_for(topic_id=topic_id, interest=interest, style=style) == expected


field_text = st.text(
    alphabet=st.characters(blacklist_characters="|\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=FIELD_MAX_LENGTH,
)


@given(field_text, field_text, field_text)
def test_key_is_sha256_of_the_joined_fields(topic_id, interest, style):
    key = cache_key_for(topic_id=topic_id, interest=interest, style=style)
    assert key == hashlib.sha256(f"{topic_id}|{interest}|{style}".encode()).hexdigest()
    assert is_cache_key(key)


@given(field_text, field_text, field_text)
def test_no_silent_normalisation(topic_id, interest, style):
    key = cache_key_for(topic_id=topic_id, interest=interest, style=style)
    assert cache_key_for(topic_id=topic_id + " ", interest=interest, style=style) != key


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        (("a|b", "c", "d"), "topic_id"),
        (("a", "b|", "d"), "interest"),
        (("a", "b", "|"), "style"),
        (("", "b", "c"), "topic_id"),
        (("a", "x" * (FIELD_MAX_LENGTH + 1), "c"), "interest"),
        (("a", "b", "\ud800"), "style"),
        (("a\x00", "b", "c"), "topic_id"),
    ],
)
def test_ambiguous_or_bad_fields_are_refused(fields, bad_field):
    topic_id, interest, style = fields
    with pytest.raises(InvalidInput) as caught:
        cache_key_for(topic_id=topic_id, interest=interest, style=style)
    assert list(caught.value.details) == [bad_field]
