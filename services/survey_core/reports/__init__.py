"""Reports: figures read from a snapshot of the rollups plus the events not folded yet. Reads
only: nothing here, nor anything it imports, writes."""
