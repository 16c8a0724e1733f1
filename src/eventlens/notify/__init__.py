"""Notify me: a guest leaves an e-mail address and a selfie's embedding; new photos of them are mailed."""
