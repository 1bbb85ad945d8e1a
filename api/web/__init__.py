"""The web app at `/`: pages for finance, the coordinator, auditors and parties, on the API's own commands
and figures; `/docs` and `/redoc` from files served here (see docs/web-app.md). ``api.web.site`` mounts it."""
