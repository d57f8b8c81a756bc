"""Monthly histograms: their layout, the folding of events into them, rebuild, and queries."""
