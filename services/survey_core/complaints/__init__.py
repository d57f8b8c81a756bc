"""Complaints from any source, per-minute counters, escalation rules and the alerts they raise."""
