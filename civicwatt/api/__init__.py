"""The read API `civicwatt run` serves under `/api/v1` (docs/growth.md, "Edges stay edges").

One router per endpoint family (`routes/`), one dependency for keys and scopes (`auth`), one for
identifiers checked against the site config (`ids`); it reads through `store/` and never
builds a query from raw input. Keys live hashed in the site's state file (`keys`).
"""
