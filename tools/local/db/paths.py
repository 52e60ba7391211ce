"""File names inside a server's state directory (shared by the launcher and the server)."""

CONNECTION_FILE = "connection.json"
LOG_FILE = "server.log"
