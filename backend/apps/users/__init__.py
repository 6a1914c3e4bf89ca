"""Users and their tokens: registration, JWT pairs, rotation and revocation (no HTTP, no models)."""
