"""The durable sample pipeline: DBOS workflows on a queue, steps that take only ids."""
