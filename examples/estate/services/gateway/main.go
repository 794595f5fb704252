package main

import (
	"context"
	"fmt"
	"os"

	deepseek "github.com/cohesion-org/deepseek-go"
	openai "github.com/sashabaranov/go-openai"
)

func main() {
	cfg := openai.DefaultConfig(os.Getenv("MOONSHOT_API_KEY"))
	cfg.BaseURL = "https://api.moonshot.cn/v1"
	client := openai.NewClientWithConfig(cfg)
	resp, err := client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model:    "moonshot-v1-8k",
		Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "route status"}},
	})
	fmt.Println(resp, err)
	_ = deepseek.NewClient(os.Getenv("DEEPSEEK_API_KEY"))
}
