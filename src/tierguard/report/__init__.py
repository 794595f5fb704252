"""Report stage: console, JSON, SARIF, CycloneDX, HTML."""
