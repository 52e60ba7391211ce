"""The local development path (make local): the API, the database and the edge on this machine."""
