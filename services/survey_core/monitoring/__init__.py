"""What quality management records about agents besides complaints: monitors' scores of
contacts, agents' self-ratings and customers' thank-you letters."""
