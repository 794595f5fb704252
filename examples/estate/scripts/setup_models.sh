#!/usr/bin/env bash
# Prepare local models and SDKs for the on-prem pilot.
set -euo pipefail
ollama pull llama3.1:8b
ollama pull qwen2.5:7b
huggingface-cli download BAAI/bge-reranker-v2-m3 --local-dir /models/reranker
pip install zhipuai==2.1.5
curl -s https://open.bigmodel.cn/api/paas/v4/models -H "Authorization: Bearer $ZHIPUAI_API_KEY"
