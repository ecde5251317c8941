"""LiveChart.me source (scraped pages). Parsers live in ``parse``."""
