"""The lifecycle of a response on any channel: events in, statuses, admission, hashing."""
