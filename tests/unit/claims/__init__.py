"""Unit tests of pipeline/claims."""
