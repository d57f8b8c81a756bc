"""HTTP plumbing every service shares: factory steps, JSON errors, health, logs, API keys."""
