"""Nightly shipment analytics on Apache Spark (not iFlytek Spark)."""

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("shipments").getOrCreate()
df = spark.read.parquet("s3://northwind-lake/shipments/")
df.groupBy("lane").count().write.mode("overwrite").parquet("s3://northwind-lake/lanes/")
