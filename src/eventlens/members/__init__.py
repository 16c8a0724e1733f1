"""Members of an event besides its owner: photographers and viewers (the rules are events/permissions)."""
