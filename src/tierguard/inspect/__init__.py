"""Inspect stage: static safety inspection of model artifacts (pickle, Keras, ONNX, GGUF, remote code)."""
