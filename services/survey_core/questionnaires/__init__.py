"""Questionnaires behind signed links: invitations, and where a linked response stands."""
