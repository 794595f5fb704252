package com.northwind.billing;

import com.alibaba.dashscope.aigc.generation.Generation;
import com.alibaba.dashscope.aigc.generation.GenerationParam;

public class InvoiceSummarizer {
    public String summarize(String invoice) throws Exception {
        GenerationParam param = GenerationParam.builder()
                .apiKey(System.getenv("DASHSCOPE_API_KEY"))
                .model("qwen-plus")
                .prompt(invoice)
                .build();
        return new Generation().call(param).getOutput().getText();
    }
}
