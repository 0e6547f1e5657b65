"""Upload to the building energy-monitoring platform (数据远传), profile `gb-2008`.

    frame.py, crypto.py, messages.py   pure: bytes, keys and XML of the profile
    codec.py, profiles.py              one connection's wire format; the registry of profiles
    plan.py, items.py, hourly.py       which meters and codes a building sends; an hour's items
    outbox.py                          durable state: offered, sent, acked, refused; sequence
    session.py, uploader.py            the socket loop: handshake, heartbeat, backfill, acks
    receiver.py                        the commissioning receiver (`civicwatt platform serve`)
    service.py                         the upload job of `civicwatt run`, health and metrics

Specification: ../shared/reference/platform-upload.md. Nothing outside the application
imports this package.
"""
