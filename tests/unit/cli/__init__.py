"""Unit tests of pipeline/cli."""
