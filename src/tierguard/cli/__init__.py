"""Command-line interface: parses arguments and prints; logic lives in tested modules."""
