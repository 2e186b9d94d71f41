"""Where users look: server-rendered pages of events, an Atom feed of departures, a JSON API with
an OpenAPI schema, CSV, health and Prometheus metrics, over the same store (`monitor serve`)."""
