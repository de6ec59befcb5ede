"""The HTTP API (FastAPI): ``api.app.create_app`` builds it around the services in ``api.deps.ApiServices``."""
