"""Network intake of logger events: WebSocket and TCP JSON-lines endpoints with token, limits and schema."""
