"""Unit tests of pipeline/clients."""
