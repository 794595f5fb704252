import OpenAI from "openai";
import { createDeepSeek } from "@ai-sdk/deepseek";

// Chat widget: DeepSeek through the OpenAI SDK (PRC endpoint)
const client = new OpenAI({
  baseURL: "https://api.deepseek.com",
  apiKey: process.env.DEEPSEEK_API_KEY,
});

export const deepseek = createDeepSeek({ apiKey: process.env.DEEPSEEK_API_KEY });

export async function reply(text: string): Promise<string> {
  const r = await client.chat.completions.create({
    model: "deepseek-reasoner",
    messages: [{ role: "user", content: text }],
  });
  return r.choices[0].message.content ?? "";
}
