"""Hiding people: faces kept out of every search, a per-event blocklist, guests\x27 removal requests."""
