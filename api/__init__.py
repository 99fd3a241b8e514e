"""The HTTP API (Litestar): thin controllers over the engine; ``api.app.create_app`` builds it."""

__all__: list[str] = []
