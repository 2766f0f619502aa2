"""Test support: read /metrics (or the exposition) back as {(name, labels): value}."""

from prometheus_client.parser import text_string_to_metric_families

from vividly.observability.metrics import exposition

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parsed(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scraped() -> Samples:
    """Return every sample this process would export now (the collectors run)."""
    return parsed(exposition().decode())


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


# The sample names each family type exports (`le`-bucketed histograms, `_total` counters).
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created"), "gauge": ("",)}


def exported_metric_names() -> set[str]:
    """Return every series name /metrics can export, whether or not it has samples yet."""
    names = set()
    for family in text_string_to_metric_families(exposition().decode()):
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
    return names
