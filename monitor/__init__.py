"""monitor: watches news and feeds and alerts, exactly once, when a named person leaves an organisation.

Data flow (one sub-package per stage): sources -> parse -> detect -> events -> db -> alerts,
with the CLI (cli.py) and the pipeline glue (pipeline.py) at the edges.
"""

__version__ = "0.1.0"
