"""EventLens: event photos, every face indexed, guests find theirs with a selfie."""
