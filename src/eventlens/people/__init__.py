"""People: an event's faces grouped into the people in them, for the photographer's dashboard."""
