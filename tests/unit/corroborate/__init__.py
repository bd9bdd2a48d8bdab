"""Unit tests of pipeline/corroborate."""
