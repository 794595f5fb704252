"""Tool-calling experiments with Zhipu GLM via the Z.ai SDK."""

from zai import ZhipuAiClient

client = ZhipuAiClient()
result = client.chat.completions.create(model="glm-4-plus", messages=[{"role": "user", "content": "hi"}])
