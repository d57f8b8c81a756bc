"""Survey definitions: versions, per-question answer checks, and a process cache of them."""
