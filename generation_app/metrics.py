"""Scrape-time metrics of the generation queue: open jobs and leases that expired unreclaimed."""

from collections.abc import Iterator

from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from generation_app.models import OPEN_STATUSES, GenerationJob, JobStatus
from vividly.observability.metrics import collector_register


class GenerationQueue:
    name = "generation_queue"

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        # Open jobs only (finished ones pile up forever); both counts use the job indexes.
        counts = dict(
            GenerationJob.objects.order_by()
            .filter(status__in=OPEN_STATUSES)
            .values_list("status")
            .annotate(n=Count("pk"))
        )
        jobs = GaugeMetricFamily("vividly_generation_jobs", "Open generation jobs by status.", labels=["status"])
        for status in OPEN_STATUSES:
            jobs.add_metric([status.value], counts.get(status.value, 0))
        yield jobs
        yield GaugeMetricFamily(
            "vividly_generation_jobs_due",
            "Queued jobs a generator may claim now (not waiting out a retry's backoff).",
            value=GenerationJob.objects.filter(status=JobStatus.QUEUED, available_at__lte=now).count(),
        )
        yield GaugeMetricFamily(
            "vividly_generation_expired_leases",
            "Leased jobs whose lease ran out and that no claim or sweep has taken back yet.",
            value=GenerationJob.objects.filter(status=JobStatus.LEASED, lease_expires_at__lte=now).count(),
        )


collector_register(GenerationQueue())
