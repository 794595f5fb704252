# gitignored experiment: must not be reported by default (only with --include-ignored)
from openai import OpenAI

client = OpenAI(base_url="https://api.moonshot.cn/v1", api_key="sk-local")
