"""Privacy by design: retention of personal data (and, to come, access and erasure)."""
