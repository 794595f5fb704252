"""Escalations go to Anthropic's API directly."""

import anthropic

client = anthropic.Anthropic(base_url="https://api.anthropic.com")
msg = client.messages.create(model="claude-sonnet-4-5", max_tokens=512, messages=[])
