"""The broadcast overlay: an HTML page (an OBS browser source) that follows the WebSocket feed and pops
each event up when the delayed programme video reaches it, and the small HTTP server that serves it."""
