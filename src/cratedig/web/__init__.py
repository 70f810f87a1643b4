"""The web page: a single-page app (plain ES modules, no build step) served by the API itself."""

from cratedig.web.routes import web_router

__all__ = ["web_router"]
