"""Folding new events into the `responses` records and the monthly rollups, exactly once.

`plan` (pure) says what some events change; `reads` reads what a fold needs (the watermark, the
events past it, the records they touch) and is all a report imports; `batch` is the worker's
transaction; `sides` the writes beside the records; `lease` lets one worker fold at a time.
"""
