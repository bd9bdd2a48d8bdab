"""Unit tests of pipeline/ingest."""
