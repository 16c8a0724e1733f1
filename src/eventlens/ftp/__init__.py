"""FTP: per-event camera credentials (API), the gateway's internal routes, and the gateway itself."""
