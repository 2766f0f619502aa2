"""The reads of delivery: who reaches which content (ready or still waiting), and whose requests."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from delivery_app import selectors
from delivery_app.models import ContentRequest, RequestStatus
from delivery_app.tests.factories import requested, stored_content, unstored_content

pytestmark = pytest.mark.django_db


def test_access_tells_ready_keys_from_keys_still_waiting(school):
    ready, pending, cancelled, theirs = stored_content(), unstored_content(), unstored_content(), stored_content()
    requested(school["student_a"], ready)
    requested(school["student_a"], pending, status=RequestStatus.PENDING)
    requested(school["student_a"], cancelled, status=RequestStatus.CANCELLED)
    requested(school["student_b"], theirs)
    keys = [content["cache_key"] for content in (ready, pending, cancelled, theirs)] + ["not-a-key"]
    access = selectors.content_access(user=school["student_a"], cache_keys=keys)
    assert access.ready == {ready["cache_key"]}
    assert access.waiting == {pending["cache_key"], cancelled["cache_key"]}
    assert access.refusal(ready["cache_key"]) is None
    assert access.refusal(pending["cache_key"]).message == selectors.NOT_READY
    assert access.refusal(theirs["cache_key"]).message == selectors.NOT_VISIBLE
    teacher = selectors.content_access(user=school["teacher_a"], cache_keys=keys)
    assert (teacher.ready, teacher.waiting) == (access.ready, access.waiting)
    staff = selectors.content_access(user=school["staff"], cache_keys=keys)
    assert staff.ready == set(keys) - {"not-a-key"} and staff.waiting == set()


def test_access_for_many_keys_is_one_query(school):
    contents = [stored_content() for _ in range(5)] + [unstored_content() for _ in range(5)]
    for index, content in enumerate(contents):
        requested(school["student_a"], content, status=RequestStatus.READY if index < 5 else RequestStatus.PENDING)
    with CaptureQueriesContext(connection) as captured:
        access = selectors.content_access(user=school["teacher_a"], cache_keys=[c["cache_key"] for c in contents])
    assert len(captured) == 1 and len(access.ready) == 5 and len(access.waiting) == 5


def test_only_ready_grants_are_remembered(school):
    content = unstored_content()
    request = requested(school["student_a"], content, status=RequestStatus.PENDING)
    key = content["cache_key"]
    assert key in selectors.content_access(user=school["student_a"], cache_keys=[key]).waiting
    ContentRequest.objects.filter(pk=request.pk).update(status=RequestStatus.READY)
    assert key in selectors.content_access(user=school["student_a"], cache_keys=[key]).ready  # at once
    with CaptureQueriesContext(connection) as captured:
        assert key in selectors.content_access(user=school["student_a"], cache_keys=[key]).ready
    assert len(captured) == 0  # now remembered


def test_pending_request_count_is_per_student(school):
    for status in (RequestStatus.PENDING, RequestStatus.PENDING, RequestStatus.READY, RequestStatus.FAILED):
        requested(school["student_a"], unstored_content(), status=status)
    requested(school["student_b"], unstored_content(), status=RequestStatus.PENDING)
    assert selectors.pending_request_count(user=school["student_a"]) == 2
