"""The calendar service on the bus.

Emitted, each in the transaction of the change it announces (outbox); the names and
payloads are declared in `obcms_platform.contracts`:

- ``event.created``, ``event.updated``, ``event.deleted``: subject the calendar event; data
  ``event_id``, ``title``, ``event_type``, ``start``/``end`` (ISO 8601 in the event's own time
  zone, so ``start[:10]`` is the local day), ``status``, ``all_day``, ``recurring``,
  ``version``. An occurrence override (moved or cancelled occurrence) is an ``event.updated``.
  The tasks service turns ``event.created`` of a meeting, workshop or conference into template
  tasks and ``event.deleted`` into unlinking them.
- ``booking.created``, ``booking.updated`` (status changes) and ``leave.created``,
  ``leave.updated``: so that the gateway can drop cached calendar feeds.

Consumed: nothing. The calendar service needs no other service's events, so it has no bus
queue and no worker; the outbox relay publishes its outbox.
"""
