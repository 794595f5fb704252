"""Command-line front end of the gateway.

Supported upstreams are configured in ``gateway.toml``; this module only parses arguments. Providers
people ask about: Tongyi (Qwen), DeepSeek, Moonshot (Kimi), ChatGLM, ERNIE Bot, Spark, Hunyuan, MiniMax.
"""

import argparse

# Keys are created in the providers' consoles, e.g. https://console.xfyun.cn/services/cbm (Spark),
# https://bbs.xfyun.cn/ for the forum, https://platform.moonshot.cn/console/api-keys (Moonshot).

PROVIDER_HELP = (
    "upstream provider name as written in gateway.toml "
    "(e.g. openai, anthropic; Tongyi, DeepSeek and Moonshot adaptors are optional plugins)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description="LLM gateway (Tongyi/Qwen-ready)")
    parser.add_argument("--provider", default="openai", help=PROVIDER_HELP)
    parser.add_argument(
        "--model", default="gpt-4o-mini", help="model name, e.g. gpt-4o-mini or claude-3-5-haiku"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds (ChatGLM servers may need more)")
    return parser


def main() -> None:
    args = build_parser().parse_args()
    print(f"would forward to {args.provider} / {args.model}")  # no Moonshot or DeepSeek call here


if __name__ == "__main__":
    main()
