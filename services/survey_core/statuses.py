"""Every status a response can be in: one enum, used everywhere."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a response stands. Values are what is stored and reported."""

    INVITED = "invited"  # a link was sent and not opened yet
    IN_PROGRESS = "in_progress"  # answering (a call on the line, a form opened)
    NOT_SAMPLED = "not_sampled"  # offered, left out by the survey's sample rate
    SUPPRESSED = "suppressed"  # offered, left out: surveyed recently
    NOT_REACHED = "not_reached"  # a call-back nobody answered
    COMPLETE = "complete"
    PARTIAL = "partial"  # ended before the last required question
    ABANDONED = "abandoned"


# Left out before any question: the response ends where it opens.
LEFT_OUT = (Status.NOT_SAMPLED, Status.SUPPRESSED, Status.NOT_REACHED)
# Statuses a response can open in (the first event of a channel's conversation).
OPENING = (Status.IN_PROGRESS, Status.NOT_SAMPLED, Status.SUPPRESSED)
# A survey was taken: counted as a response in the reports.
FINAL = (Status.COMPLETE, Status.PARTIAL, Status.ABANDONED)
# The customer took part, or was invited to (for "not again within N days").
PARTICIPATED = (Status.INVITED, Status.IN_PROGRESS, *FINAL)
# What a telephony status callback reports for a call that nobody answered.
UNREACHED_CALL_STATUSES = ("no-answer", "busy", "failed", "canceled")
