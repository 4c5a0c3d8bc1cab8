"""What serves HTTP in front of Django: the connection protocol of the production server."""
