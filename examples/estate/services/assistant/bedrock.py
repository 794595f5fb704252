"""AWS Bedrock: Claude for drafting, DeepSeek-R1 (a PRC model on a US host) for reasoning."""

import boto3

brt = boto3.client("bedrock-runtime", region_name="us-east-1")


def draft(prompt: str) -> dict:
    return brt.converse(
        modelId="anthropic.claude-3-5-sonnet-20240620-v1:0",
        messages=[{"role": "user", "content": [{"text": prompt}]}],
    )


def reason(prompt: str) -> dict:
    return brt.converse(
        modelId="us.deepseek.r1-v1:0",
        messages=[{"role": "user", "content": [{"text": prompt}]}],
    )
