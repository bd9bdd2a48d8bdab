"""NEWSLINE_PRODUCER_COMPRESSION reaches the worker's producer, and every codec it
offers can be used by the Kafka client installed with newsline."""

from __future__ import annotations

from typing import get_args

import pytest
from aiokafka.codec import has_gzip, has_lz4, has_zstd

from pipeline.settings import Compression, Settings
from pipeline.worker.runtime import create_app


@pytest.mark.parametrize("codec", get_args(Compression))
def test_the_worker_producer_compresses_with_the_setting(codec: str) -> None:
    app = create_app(Settings(producer_compression=codec))  # type: ignore[arg-type]
    expected = None if codec == "none" else codec
    assert app.conf.producer_compression_type == expected


def test_every_codec_offered_is_installed() -> None:
    installed = {"none": True, "gzip": has_gzip(), "lz4": has_lz4(), "zstd": has_zstd()}
    assert installed.keys() == set(get_args(Compression))
    assert all(installed.values()), installed
