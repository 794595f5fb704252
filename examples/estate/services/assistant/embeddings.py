"""Local embeddings for ticket search (self-hosted BAAI bge)."""

from langchain_community.embeddings import HuggingFaceBgeEmbeddings
from sentence_transformers import SentenceTransformer

encoder = SentenceTransformer("BAAI/bge-m3")
lc_embeddings = HuggingFaceBgeEmbeddings()
