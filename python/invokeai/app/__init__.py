"""The InvokeAI application: HTTP server and command line entry point."""
