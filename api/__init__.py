"""The HTTP API (FastAPI): ``api.app.create_app`` builds it around a wired ``Container``."""
