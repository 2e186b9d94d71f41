"""Alerts stage: outbox deliveries -> Apprise. format.py renders (escaped for the target),
secrets.py masks Apprise URLs, sender.py claims due deliveries and records the outcome."""
