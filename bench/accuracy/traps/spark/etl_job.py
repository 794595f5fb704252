"""Nightly ETL with Apache Spark; nothing here talks to an AI service."""

from pyspark.sql import SparkSession


def run(path: str) -> int:
    spark = SparkSession.builder.appName("nightly-etl").getOrCreate()
    frame = spark.read.parquet(path)
    ys = [row.value for row in frame.select("value").collect()]
    total = 0
    for yi in ys:
        total += yi
    step = 2  # not StepFun: a stride
    return total // step
