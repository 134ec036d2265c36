"""The public HTTP face of the assistant (Sanic): chat, search, health and the web page."""
