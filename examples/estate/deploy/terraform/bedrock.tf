# Reasoning for the parcel-exception assistant through Amazon Bedrock.
provider "aws" {
  region = "us-east-1"
}

resource "aws_bedrock_inference_profile" "reasoner" {
  name        = "northwind-reasoner"
  description = "Cross-region profile for the exception assistant"
  model_source {
    copy_from = "arn:aws:bedrock:us-east-1::foundation-model/us.deepseek.r1-v1:0"
  }
}
