"""Overlap encoding with sending: encode batch k+1 while batch k is on the wire.

Encoding line protocol costs Python time; a POST mostly waits on the
database. Doing both at once instead of in turn is what brings a writer
close to the raw limit of the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from store.lineprotocol import encode
from store.types import Row


def send_in_batches(rows: Sequence[Row], batch_size: int, send: Callable[[bytes], None]) -> None:
    """Encode and send `rows` in batches, in order; the first failure stops and is raised.

    Batches before a failed one have been accepted; the caller retries the
    whole call, which is safe because writes are idempotent.
    """
    if len(rows) <= batch_size:
        send(encode(rows))
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-send") as sender:
        pending: Future | None = None
        for start in range(0, len(rows), batch_size):
            body = encode(rows[start:start + batch_size])
            if pending is not None:
                pending.result()
            pending = sender.submit(send, body)
        if pending is not None:
            pending.result()
