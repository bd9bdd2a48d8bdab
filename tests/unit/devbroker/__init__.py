"""Unit tests of pipeline/devbroker."""
