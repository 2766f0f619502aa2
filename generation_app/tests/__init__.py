"""Tests of the generation queue."""
