"""Events stage: normalise names and organisations so that mentions of the same departure, in
any script or spelling, share keys; the store merges mentions with a shared key into one event."""
