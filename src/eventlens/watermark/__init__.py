"""A watermark burnt into what guests see (and, per event, download): settings, drawing, cached renditions."""
