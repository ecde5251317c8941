"""Technology that implements the ports: catalogue files, the store, HTTP, and more to come."""
