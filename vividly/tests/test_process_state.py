"""Revocations against memos made meanwhile: a logout inside a transaction is announced again after its commit."""

import pytest
from django.db import transaction
from knox.crypto import hash_token

from vividly.accounts.services import (
    ValidatedUserToken,
    user_token_authenticate,
    user_token_create,
    user_token_delete,
    validated_user_tokens,
)
from vividly.accounts.tests.factories import StudentFactory
from vividly.process_state import REVOCATION_COUNTER
from vividly.redis_guard import client


def counter() -> int:
    return int(client("state").get(REVOCATION_COUNTER) or 0)


@pytest.mark.django_db(transaction=True)
def test_a_token_remembered_before_the_logout_commits_is_forgotten_once_it_does():
    """The race: the delete is announced inside its transaction; a process reading before the
    commit still finds the token and remembers it; without a second announcement after the
    commit, it would accept the logged-out token until its memo expired."""
    student = StudentFactory()
    token, key = user_token_create(user=student)
    with transaction.atomic():
        user_token_delete(token=token)
        before_commit = counter()
        # What a request elsewhere does meanwhile: it still reads the committed token, and memoises it.
        validated_user_tokens.put(hash_token(key), ValidatedUserToken(user=student, token=token, expires_at=None))
    assert counter() == before_commit + 1  # announced again, so every other process drops its memos too
    assert validated_user_tokens.get(hash_token(key)) is None
    assert user_token_authenticate(key=key) is None
