"""A receiver that holds back one ack: to stop or kill the uploader with a packet in flight."""

from __future__ import annotations

import threading

from civicwatt.platform.receiver import Receiver


class Gate(Receiver):
    """Records the `hold`-th data packet, then waits for `release` before acking it."""

    def __init__(self, settings, hold: int | None = None) -> None:
        super().__init__(settings)
        self.hold, self.held, self.release = hold, threading.Event(), threading.Event()

    def record(self, *args) -> None:
        super().record(*args)
        if self.hold is not None and self.data_packets == self.hold:
            self.held.set()
            self.release.wait(30)
