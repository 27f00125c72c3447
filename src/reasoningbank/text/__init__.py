"""Pure text helpers: trajectories to prompt text, literals, JSON in replies, redaction of secrets."""
