"""MongoDB access: the per-process client, indexes, transactions and the outage breaker."""
