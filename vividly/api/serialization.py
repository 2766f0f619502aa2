"""Validate and represent with one serializer instance per class, shared by every request.

A new DRF serializer deep-copies its declared fields (`Serializer.get_fields`), which on a hot
path cost more than the work the view does: ~0.2 ms of a ~1.5 ms progress event here
(`python -m benchmarks.profile "progress event"`). `run_validation` and `to_representation`
keep nothing on the instance (its fields are bound once, the first time), so one instance per
class serves every request and thread. The answer is the same as `is_valid(raise_exception=True)`
and `.data` give: the same ValidationError detail, the same dict.

Only for serializers that read no `context` and no `instance`/`initial_data` of their own.
"""

from functools import cache
from typing import Any

from rest_framework import serializers


@cache
def shared(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    """Return this process's instance of `serializer_class`."""
    return serializer_class()


def validated(serializer_class: type[serializers.Serializer], data: Any) -> Any:
    """Return `data` validated by `serializer_class` (a 400 with per-field errors otherwise)."""
    return shared(serializer_class).run_validation(data)


def represented(serializer_class: type[serializers.Serializer], instance: Any) -> dict[str, Any]:
    """Return `instance` as `serializer_class(instance).data` would."""
    return shared(serializer_class).to_representation(instance)
