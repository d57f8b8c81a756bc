"""Shared library of the services: settings, MongoDB, HTTP plumbing, domain maths."""
