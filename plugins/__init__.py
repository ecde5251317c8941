"""Built-in plugins, each registered through an ``anime_mcp`` entry point like any third-party plugin."""
