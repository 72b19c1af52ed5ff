"""Tables, schemas and settings of learning-district."""
