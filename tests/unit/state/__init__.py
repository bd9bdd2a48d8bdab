"""Unit tests of pipeline/state."""
