"""Unit tests of pipeline/dedupe."""
