"""State the deciders keep: the stores, the event-time window over them, and the
writes of one decision staged until it is whole. Pure; no Kafka here."""

from pipeline.state.staging import StagedWrites
from pipeline.state.store import OrderedKeys, Store
from pipeline.state.window import EventWindow

__all__ = ["EventWindow", "OrderedKeys", "StagedWrites", "Store"]
