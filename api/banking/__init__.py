"""Bank files in: ISO 20022 camt.054 notifications and the fixed-width incoming reference payments file."""
