"""Monthly histograms: where counts live (layout), counter deltas, their writes, rebuild."""
