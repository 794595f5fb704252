"""Customer-support assistant: OpenAI for chat, DeepSeek (through the OpenAI SDK) for cheap summaries."""

import os

from openai import OpenAI

openai_client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
deepseek = OpenAI(base_url="https://api.deepseek.com/v1", api_key=os.getenv("DEEPSEEK_API_KEY"))


def answer(question: str) -> str:
    resp = openai_client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": question}],
    )
    return resp.choices[0].message.content or ""


def summarize(ticket: str) -> str:
    resp = deepseek.chat.completions.create(
        model="deepseek-chat",
        messages=[{"role": "user", "content": f"Summarize: {ticket}"}],
    )
    return resp.choices[0].message.content or ""
