"""Translation through Alibaba DashScope (Qwen) and the LangChain Tongyi wrapper."""

import dashscope
from langchain_community.chat_models import ChatTongyi


def translate(text: str) -> str:
    resp = dashscope.Generation.call(model="qwen-max", prompt=f"Translate to English: {text}")
    return str(resp.output.text)


chat = ChatTongyi(model="qwen-plus")
