"""The worker of QN-DTI Monitor: batches from Kafka, unit state as rows, the database sink and schema, web views."""
