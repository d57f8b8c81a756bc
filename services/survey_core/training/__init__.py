"""Training: trainers, sessions and their evaluation links, stored so no trainee is named."""
