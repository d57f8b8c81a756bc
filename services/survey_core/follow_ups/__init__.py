"""Follow-ups of unhappy responses: `queue` (what folding queues, once per response), `store`
(opening them from the queue with their complaint, moving them, reading them)."""
