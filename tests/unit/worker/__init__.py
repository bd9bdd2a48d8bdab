"""Unit tests of pipeline/worker and pipeline/cpu.py."""
