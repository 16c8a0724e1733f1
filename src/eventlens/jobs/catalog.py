"""Imports every domain's tasks module, so each ``@job`` is declared before a queue binds them."""

import eventlens.bibs.tasks
import eventlens.events.tasks
import eventlens.faces.tasks
import eventlens.notify.tasks
import eventlens.people.tasks
import eventlens.photos.tasks
import eventlens.watermark.tasks
import eventlens.webhooks.tasks  # noqa: F401
