module github.com/northwind/gateway

go 1.22

require (
	github.com/cohesion-org/deepseek-go v1.2.3
	github.com/sashabaranov/go-openai v1.36.0
)
