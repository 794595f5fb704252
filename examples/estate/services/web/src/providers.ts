// Marketing page: provider logos and a public price list. Mentions only, no integration.
export enum ProviderLogo {
  DeepSeek = "/logos/deepseek.svg",
  Qwen = "/logos/qwen.svg",
  OpenAI = "/logos/openai.svg",
}

export const PRICE_PER_MILLION_TOKENS = {
  "deepseek-chat": 0.27, // price
  "qwen-max": 1.6, // price
  "gpt-4o-mini": 0.15, // price
};
