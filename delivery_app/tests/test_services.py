"""The writes of delivery: requests opened, capped, cancelled, failed; view sessions bounded and tracked."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from delivery_app import services
from delivery_app.generation import (
    fallback_generation_failed,
    generation_demand_join,
    generation_demand_leave,
    generation_failed_signal,
)
from delivery_app.models import ContentRequest, RequestStatus, ViewSession
from delivery_app.tests.factories import ViewSessionFactory, requested, stored_content, unstored_content
from vividly.accounts.tests.factories import StudentFactory
from vividly.errors import NotFound

pytestmark = pytest.mark.django_db

DESKTOP_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
)


def ask(user, content: dict) -> tuple[ContentRequest, bool]:
    triple = {k: content[k] for k in ("topic_id", "interest", "style")}
    return services.content_request_create(user=user, **triple)


# Content requests


@pytest.mark.django_db(transaction=True)
def test_content_stored_between_the_lookup_and_the_insert_still_makes_the_request_ready(monkeypatch):
    """The race the re-check closes: the store's notice ran before the pending request existed."""
    from cache_app.services import cache_entry_fetch
    from delivery_app.tests.factories import unstored_content

    student, content = StudentFactory(), unstored_content()
    missed = cache_entry_fetch(cache_key=content["cache_key"])
    assert not missed.hit

    def lookup_then_a_store_lands(**kwargs):
        # The first lookup misses; the content is stored (and its notice finds no request) before our insert.
        stored_content(topic_id=content["topic_id"], interest=content["interest"], style=content["style"])
        return missed

    monkeypatch.setattr(services, "cache_entry_fetch", lookup_then_a_store_lands)
    request, created = ask(student, content)
    assert created and request.status == RequestStatus.READY and request.ready_at is not None


def test_a_miss_joins_the_generation_demand_in_the_requests_transaction(demand):
    student, content = StudentFactory(), unstored_content()
    request, created = ask(student, content)
    assert created and request.status == RequestStatus.PENDING
    assert demand == [("join", content["cache_key"], True)]
    ask(student, content)  # asking again is no new demand
    ask(student, stored_content())  # nor is a hit
    assert len(demand) == 1


def test_the_pending_cap_counts_only_new_pending_requests(settings, demand):
    settings.MAX_PENDING_REQUESTS_PER_STUDENT = 2
    student = StudentFactory()
    first, second = unstored_content(), unstored_content()
    ask(student, first)
    ask(student, second)
    with pytest.raises(services.TooManyPendingRequests) as refused:
        ask(student, unstored_content())
    assert refused.value.retry_after == services.PENDING_RETRY_AFTER_SECONDS
    assert ask(student, first)[1] is False  # asking again for a pending one is not a new one
    assert ask(student, stored_content())[0].status == RequestStatus.READY  # a hit waits for nothing
    assert ask(StudentFactory(), unstored_content())[0].status == RequestStatus.PENDING  # per student
    services.content_request_cancel(user=student, request_id=ask(student, second)[0].pk)
    assert ask(student, unstored_content())[0].status == RequestStatus.PENDING  # a cancel frees a slot
    assert ContentRequest.objects.filter(user=student, status=RequestStatus.PENDING).count() == 2
    assert len([call for call in demand if call[0] == "join"]) == 4  # the refused one joined nothing


def test_a_cancel_leaves_the_demand_once_and_repeating_it_changes_nothing(demand):
    student, content = StudentFactory(), unstored_content()
    request, _ = ask(student, content)
    cancelled = services.content_request_cancel(user=student, request_id=request.pk)
    assert cancelled.status == RequestStatus.CANCELLED
    again = services.content_request_cancel(user=student, request_id=request.pk)
    assert again.status == RequestStatus.CANCELLED
    assert demand == [("join", content["cache_key"], True), ("leave", content["cache_key"], True)]


def test_only_a_pending_request_of_ones_own_can_be_cancelled(school, demand):
    content = stored_content()
    ready = requested(school["student_a"], content)
    with pytest.raises(services.RequestNotPending):
        services.content_request_cancel(user=school["student_a"], request_id=ready.pk)
    pending = requested(school["student_a"], unstored_content(), status=RequestStatus.PENDING)
    for someone_else in (school["student_b"], school["teacher_a"], school["staff"]):
        with pytest.raises(NotFound):
            services.content_request_cancel(user=someone_else, request_id=pending.pk)
    assert ContentRequest.objects.get(pk=pending.pk).status == RequestStatus.PENDING
    assert demand == []


def test_a_cancelled_or_failed_request_asked_again_opens_again_with_the_same_id(demand):
    student, content = StudentFactory(), unstored_content()
    request, _ = ask(student, content)
    services.content_request_cancel(user=student, request_id=request.pk)
    reopened, created = ask(student, content)
    assert (reopened.pk, reopened.status, created) == (request.pk, RequestStatus.PENDING, False)
    services.content_requests_mark_failed(cache_key=content["cache_key"], error_code="unsafe_topic")
    reopened, _ = ask(student, content)
    assert (reopened.status, reopened.error_code) == (RequestStatus.PENDING, "")
    assert [call[0] for call in demand] == ["join", "leave", "join", "join"]


def test_a_final_generation_failure_fails_the_keys_pending_requests_only():
    content, other = unstored_content(), unstored_content()
    waiting = [requested(StudentFactory(), content, status=RequestStatus.PENDING) for _ in range(2)]
    already_ready = requested(StudentFactory(), content)
    elsewhere = requested(StudentFactory(), other, status=RequestStatus.PENDING)
    generation_failed_signal().send(sender=None, cache_key=content["cache_key"], error_code="unsafe_topic")
    for request in waiting:
        request.refresh_from_db()
        assert (request.status, request.error_code) == (RequestStatus.FAILED, "unsafe_topic")
    assert ContentRequest.objects.get(pk=already_ready.pk).status == RequestStatus.READY
    assert ContentRequest.objects.get(pk=elsewhere.pk).status == RequestStatus.PENDING


def test_without_generation_app_the_adapter_does_nothing_and_listens_to_its_own_signal(settings):
    without = [app for app in settings.INSTALLED_APPS if app != "generation_app"]
    with override_settings(INSTALLED_APPS=without):
        assert generation_demand_join(cache_key="k" * 64, topic_id="t", interest="i", style="s") is None
        assert generation_demand_leave(cache_key="k" * 64) is None
        assert generation_failed_signal() is fallback_generation_failed


# View sessions


def test_a_view_of_content_still_pending_costs_no_cold_read(school, cold_reads):
    content = unstored_content()
    requested(school["student_a"], content, status=RequestStatus.PENDING)
    with pytest.raises(NotFound):
        services.view_start(user=school["student_a"], cache_key=content["cache_key"], quality="720p", user_agent="")
    assert cold_reads == []


def test_open_views_per_user_and_key_are_bounded_in_a_window(school, settings):
    settings.MAX_OPEN_VIEWS_PER_USER_AND_KEY = 3
    content, other = stored_content(), stored_content()
    user = school["student_a"]
    requested(user, content)
    requested(user, other)
    start = lambda key, now=None: services.view_start(  # noqa: E731
        user=user, cache_key=key, quality="720p", user_agent="", now=now
    )
    views = [start(content["cache_key"]) for _ in range(3)]
    with pytest.raises(services.TooManyOpenViews) as refused:
        start(content["cache_key"])
    assert 3590 <= refused.value.retry_after <= 3600  # until the oldest leaves the hour
    start(other["cache_key"])  # another content has its own bound
    services.view_complete(user=user, cache_key=content["cache_key"], view_id=views[0].pk)
    start(content["cache_key"])  # a completed view is no longer open
    later = timezone.now() + timedelta(seconds=3601)
    start(content["cache_key"], now=later)  # views started over an hour ago no longer count
    assert ViewSession.objects.filter(user=user, cache_key=content["cache_key"]).count() == 5


def test_the_retry_after_of_open_views_counts_from_the_oldest_one(school, settings):
    settings.MAX_OPEN_VIEWS_PER_USER_AND_KEY = 2
    content = stored_content()
    user, now = school["student_a"], timezone.now()
    requested(user, content)
    for minutes_ago in (50, 10):
        view = ViewSessionFactory(user=user, cache_key=content["cache_key"])
        ViewSession.objects.filter(pk=view.pk).update(started_at=now - timedelta(minutes=minutes_ago))
    with pytest.raises(services.TooManyOpenViews) as refused:
        services.view_start(user=user, cache_key=content["cache_key"], quality="720p", user_agent="", now=now)
    assert refused.value.retry_after == 600


def test_watched_time_never_outruns_the_wall_clock(school):
    content = stored_content()
    requested(school["student_a"], content)
    user, key = school["student_a"], content["cache_key"]
    view = services.view_start(user=user, cache_key=key, quality="720p", user_agent=DESKTOP_CHROME)
    start = view.last_event_at
    at = lambda seconds: start + timedelta(seconds=seconds)  # noqa: E731
    progress = lambda position, seconds: services.view_progress(  # noqa: E731
        user=user, cache_key=key, view_id=view.pk, position_seconds=position, now=at(seconds)
    )
    assert progress(10, 10).watched_seconds == 10  # normal playback
    assert progress(110, 15).watched_seconds == 15  # a seek forward counts only the 5 s that passed
    assert progress(20, 25).watched_seconds == 15  # a seek back counts nothing
    assert progress(30, 35).watched_seconds == 25  # playing on again
    assert progress(30, 600).watched_seconds == 25  # paused for ten minutes
    assert progress(120, 601).watched_seconds == 26  # a claimed jump to the end in one second
    assert progress(120, 601).watched_seconds <= (at(601) - start).total_seconds()
