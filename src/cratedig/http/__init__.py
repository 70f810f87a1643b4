"""The HTTP surface's guards: client addresses, CORS, submission rate limit, request ids."""
